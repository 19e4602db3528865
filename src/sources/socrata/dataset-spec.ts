/**
 * What the generic Socrata connector needs to know about one dataset. One spec per portal dataset;
 * `socrataSource(spec)` turns it into a `Source`.
 *
 * Cursor fields, researched per portal (the choice decides what an incremental pass can miss):
 * - Chicago `ijzp-q8t2` has a real update stamp, `updated_on`: reclassified or geocoded records come
 *   back with a newer stamp, so `updated_on` is the cursor and updates reach us.
 * - NYC (`qgea-i56i`/`5uac-w243` complaints, `uip8-fykc`/`8h9b-rp9u` arrests, `833y-fsy8`/`5ucz-vwe8`
 *   shootings) and LA (`2nrs-mtv8`) have no updated-at column. The best monotone-ish field is the
 *   report date (`rpt_dt`, LA `date_rptd`), or the event date where there is nothing else
 *   (`arrest_date`, `occur_date`). These portals publish in batches (NYC quarterly, LA weekly until
 *   it froze in 2024), and an edited row keeps its date, so edits are not seen, and a batch can carry
 *   dates older than the last one seen: `lookbackMs` re-reads that much before the cursor at the start
 *   of each pass (ids make the overlap harmless).
 */
import type { RowNormaliser } from '../normalise.js';

export interface SocrataDatasetSpec {
  /** Source id (`[a-z0-9-]+`), e.g. `chicago`. */
  id: string;
  description: string;
  /** Portal root, e.g. `https://data.cityofchicago.org`; config `url` overrides it. */
  defaultBaseUrl: string;
  /** Socrata 4x4 id, e.g. `ijzp-q8t2`; the state stream is named after it. */
  datasetId: string;
  /** IANA zone of the portal's floating timestamps. */
  timeZone: string;
  /** Floating-timestamp column the incremental pass follows (`$where <cursorField> >= ...`). */
  cursorField: string;
  /** Unique row key, second `$order` term, so pages are stable inside ties of the cursor field. */
  keyField: string;
  /** SoQL type of the key: number keys are compared and quoted as numbers. */
  keyType: 'number' | 'text';
  /** Column whose newest value says how fresh the portal is (occurrence or report date). Default: cursorField. */
  freshnessField?: string;
  /** Columns the normaliser cannot do without; their disappearance from `X-SODA2-Fields` is schema drift. */
  requiredFields: readonly string[];
  /** Rows per page, 1..50 000 (SODA 2.1 allows 50 000). */
  pageSize: number;
  /** Usual delay between an incident and its appearance on the portal; older newest data means stale. */
  expectedLagMs: number;
  pollIntervalMs: number;
  /** Re-read this much before the stored cursor at the start of a pass (batch-published portals). Default 0. */
  lookbackMs?: number;
  /** First run with no state and no `--since`: start this long before now. Default 30 days. */
  initialBackfillMs?: number;
  normaliser: RowNormaliser;
}

const DAY_MS = 24 * 3600 * 1000;

/** Defaults shared by the city specs; kept here so they are written once. */
export const SOCRATA_DEFAULTS = {
  pageSize: 5000,
  initialBackfillMs: 30 * DAY_MS,
  dayMs: DAY_MS,
} as const;
