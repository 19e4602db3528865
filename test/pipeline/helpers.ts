/**
 * Test helpers for the pipeline and store: real sample rows turned into CrimeEvents, and a tiny
 * in-memory bus (the real in-process bus lives in src/bus/in-process; this one only needs to be
 * predictable: ordered, batched, at-least-once, ends when sealed and drained).
 */
import { DateTime } from 'luxon';
import type {
  Bus,
  BusBatch,
  BusMessage,
  Consumer,
  ConsumerOptions,
  OutgoingMessage,
  Position,
} from '../../src/bus/bus.js';
import type { Category } from '../../src/core/categories.js';
import { type CrimeEvent, eventKey } from '../../src/core/crime-event.js';
import type { IncidentMessage } from '../../src/core/incident-message.js';
import type { RawRow } from '../../src/sources/normalise.js';
import { readRecordedRows } from '../../src/sources/recorded-file.js';

export const CHICAGO_SAMPLE = 'samples/chicago/chicago_crimes_2015-01-23_to_2015-02-08.csv.gz';
export const UK_SAMPLE = (month: string): string =>
  `samples/uk/street_csv/${month}-city-of-london-street.csv.gz`;

const CHICAGO_CATEGORY: Record<string, Category> = {
  BATTERY: 'violence',
  ASSAULT: 'violence',
  HOMICIDE: 'violence',
  INTIMIDATION: 'violence',
  STALKING: 'violence',
  KIDNAPPING: 'violence',
  'CRIM SEXUAL ASSAULT': 'sexual-offences',
  'SEX OFFENSE': 'sexual-offences',
  ROBBERY: 'robbery',
  BURGLARY: 'burglary',
  THEFT: 'theft',
  'MOTOR VEHICLE THEFT': 'vehicle-crime',
  'CRIMINAL DAMAGE': 'criminal-damage',
  ARSON: 'arson',
  NARCOTICS: 'drugs',
  'WEAPONS VIOLATION': 'weapons',
  'PUBLIC PEACE VIOLATION': 'public-order',
  'DECEPTIVE PRACTICE': 'fraud',
};

/** Minimal Chicago row → CrimeEvent (the real normaliser lives in src/sources/chicago). */
export function chicagoEvent(row: RawRow, ingestedAt = '2015-02-15T18:00:00.000Z'): CrimeEvent {
  const s = (k: string): string => String(row[k] ?? '').trim();
  const local = DateTime.fromFormat(s('date'), 'MM/dd/yyyy hh:mm:ss a', { zone: 'America/Chicago' });
  const updated = DateTime.fromFormat(s('updated_on'), 'MM/dd/yyyy hh:mm:ss a', { zone: 'America/Chicago' });
  const lat = Number.parseFloat(s('latitude'));
  const lon = Number.parseFloat(s('longitude'));
  const hasLoc = Number.isFinite(lat) && Number.isFinite(lon);
  const id = s('id');
  return {
    id: `chicago:${id}`,
    source: 'chicago',
    sourceKey: id,
    incidentKey: s('case_number') || id,
    occurredAt: local.toUTC().toISO({ suppressMilliseconds: false }) ?? '',
    timeZone: 'America/Chicago',
    timePrecision: 'minute',
    timeFlags: [],
    ...(updated.isValid ? { updatedAt: updated.toUTC().toISO() ?? '' } : {}),
    ingestedAt,
    category: CHICAGO_CATEGORY[s('primary_type')] ?? 'other',
    sourceType: s('primary_type'),
    sourceCode: s('iucr'),
    ...(hasLoc ? { lat, lon } : {}),
    locationStatus: hasLoc ? 'ok' : 'missing',
    areaId: s('community_area') || 'unknown',
    area: { communityArea: s('community_area'), district: s('district'), beat: s('beat') },
    attributes: { arrest: s('arrest') === 'true', domestic: s('domestic') === 'true', block: s('block') },
  };
}

/** All 9,999 events of the Chicago sample, oldest first (the file is newest first). */
export async function chicagoEvents(): Promise<CrimeEvent[]> {
  const rows = await readRecordedRows(CHICAGO_SAMPLE);
  return rows
    .map((r) => chicagoEvent(r))
    .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id));
}

/** Minimal UK street CSV row → month-precision CrimeEvent (key: month + occurrence index, as the contract says). */
export async function ukEvents(month: string): Promise<CrimeEvent[]> {
  const rows = await readRecordedRows(UK_SAMPLE(month), { keepHeaders: true });
  const start = DateTime.fromISO(`${month}-01T00:00:00`, { zone: 'Europe/London' }).toUTC().toISO() ?? '';
  return rows.map((r, i) => {
    const key = `${month}:${i}`;
    const lat = Number.parseFloat(String(r.Latitude ?? ''));
    const lon = Number.parseFloat(String(r.Longitude ?? ''));
    const hasLoc = Number.isFinite(lat) && Number.isFinite(lon);
    const type = String(r['Crime type'] ?? '');
    return {
      id: `uk-police:${key}`,
      source: 'uk-police',
      sourceKey: key,
      incidentKey: String(r['Crime ID'] || key),
      occurredAt: start,
      timeZone: 'Europe/London',
      timePrecision: 'month',
      timeFlags: ['month-only'],
      ingestedAt: '2020-12-01T00:00:00.000Z',
      category:
        type === 'Anti-social behaviour'
          ? 'anti-social-behaviour'
          : type === 'Violence and sexual offences'
            ? 'violence'
            : 'other',
      sourceType: type,
      ...(hasLoc ? { lat, lon } : {}),
      locationStatus: hasLoc ? 'ok' : 'missing',
      areaId: String(r['LSOA code'] || 'unknown'),
      area: { lsoa: String(r['LSOA code'] ?? '') },
      attributes: {},
    } satisfies CrimeEvent;
  });
}

export function eventMessages(events: CrimeEvent[]): OutgoingMessage[] {
  return events.map((e) => ({
    key: eventKey(e),
    value: { kind: 'event', event: e } satisfies IncidentMessage,
  }));
}

/** A predictable in-memory bus for tests: one partition per topic, ends when sealed and drained. */
export class TestBus implements Bus {
  readonly kind = 'in-process' as const;
  readonly capabilities = { seek: false, retention: true, durable: false };
  readonly topics = new Map<string, BusMessage[]>();
  private readonly committed = new Map<string, number>();
  private sealed = false;
  private wake: (() => void) | undefined;

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    const log = this.topics.get(topic) ?? [];
    this.topics.set(topic, log);
    for (const m of messages) {
      log.push({
        topic,
        partition: 0,
        offset: String(log.length),
        key: m.key,
        value: m.value,
        headers: m.headers ?? {},
        timestamp: Date.now(),
      });
    }
    this.wake?.();
  }

  /** No more messages: consumers end once they have read everything. */
  seal(): void {
    this.sealed = true;
    this.wake?.();
  }

  async consumer(options: ConsumerOptions): Promise<Consumer> {
    const topic = options.topics[0] ?? '';
    const max = options.maxBatchSize ?? 500;
    let next = this.committed.get(`${options.groupId}|${topic}`) ?? 0;
    const bus = this;
    return {
      async *batches(signal?: AbortSignal): AsyncIterable<BusBatch> {
        while (!signal?.aborted) {
          const log = bus.topics.get(topic) ?? [];
          if (next < log.length) {
            const messages = log.slice(next, next + max);
            next += messages.length;
            yield { topic, partition: 0, messages };
            continue;
          }
          if (bus.sealed) return;
          await new Promise<void>((r) => {
            bus.wake = r;
            signal?.addEventListener('abort', () => r(), { once: true });
          });
        }
      },
      async commit(positions: Position[]): Promise<void> {
        for (const p of positions) bus.committed.set(`${options.groupId}|${p.topic}`, Number(p.offset));
      },
      async lag() {
        return {};
      },
      async close() {},
    };
  }

  async healthy(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}
