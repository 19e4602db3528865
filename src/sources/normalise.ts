/**
 * The row normaliser contract: portal rows (SODA-JSON-shaped objects, or CSV rows whose headers are
 * turned into SODA field names) in, `CrimeEvent`s or rejections out. Normalisers are pure and work on
 * a batch (a page, a month file), because some keys need the batch: UK Crime IDs repeat inside a
 * month, NYC shooting rows repeat an INCIDENT_KEY per victim.
 */
import type { CrimeEvent } from '../core/crime-event.js';

/** One raw row as the portal gave it: SODA JSON object, or a CSV row keyed by SODA field names. */
export type RawRow = Record<string, unknown>;

export interface NormaliseContext {
  /** When this batch was ingested (ISO UTC); becomes `ingestedAt`. */
  ingestedAt: string;
  /** Where the batch came from (file name, URL page), for dead letters and logs. */
  origin?: string;
}

export type NormaliseResult =
  | { ok: true; event: CrimeEvent }
  | { ok: false; reason: string; payload: RawRow };

export interface RowNormaliser {
  readonly source: string;
  readonly timeZone: string;
  /** One result per input row, in input order. Never throws on bad rows: it rejects them. */
  normaliseRows(rows: readonly RawRow[], ctx: NormaliseContext): NormaliseResult[];
}

/**
 * Portal CSV header → SODA API field name: Socrata lower-cases, and turns runs of non-alphanumerics
 * into `_` (`Primary Type` → `primary_type`, `Part 1-2` → `part_1_2`, `DATE OCC` → `date_occ`).
 * API names that already look like that pass through unchanged, and the BOM some exports start with
 * is dropped.
 */
export function socrataFieldName(header: string): string {
  return header
    .replace(/^\uFEFF/, '')
    .trim()
    .replace(/[^A-Za-z0-9:@]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}
