/**
 * The live view of every source: mode (live or replay), freshness, counts. Sources report through
 * `status` messages; the ingest runner adds counts. The API's `/v1/sources` and the dashboard read it.
 */
import { gauge } from '../core/metrics.js';
import type { SourceStatus } from './source.js';

export interface SourceView extends SourceStatus {
  description: string;
  events: number;
  rejected: number;
  /** Why this mode was chosen (auto mode's probe result, or the forced mode). */
  modeReason?: string;
}

const staleGauge = gauge(
  'crimepulse_source_stale',
  '1 when a source is stale (its portal data is older than its usual lag)',
  ['source'],
);
const lagGauge = gauge('crimepulse_source_data_age_seconds', 'Age of the newest record the portal holds', [
  'source',
]);
const replayGauge = gauge(
  'crimepulse_source_replay',
  '1 when a source is replayed from a recording, 0 when live',
  ['source'],
);

export class SourceStatusBoard {
  readonly #views = new Map<string, SourceView>();

  register(
    source: string,
    description: string,
    mode: 'live' | 'replay',
    modeReason: string,
    expectedLagMs: number,
  ): void {
    this.#views.set(source, {
      source,
      description,
      mode,
      modeReason,
      expectedLagMs,
      stale: false,
      events: 0,
      rejected: 0,
    });
    replayGauge.set({ source }, mode === 'replay' ? 1 : 0);
    staleGauge.set({ source }, 0);
  }

  update(status: SourceStatus): void {
    const prev = this.#views.get(status.source);
    const next: SourceView = { description: '', events: 0, rejected: 0, ...prev, ...status };
    this.#views.set(status.source, next);
    staleGauge.set({ source: status.source }, status.stale ? 1 : 0);
    if (status.newestRecordAt)
      lagGauge.set({ source: status.source }, (Date.now() - Date.parse(status.newestRecordAt)) / 1000);
  }

  count(source: string, kind: 'events' | 'rejected', n: number): void {
    const v = this.#views.get(source);
    if (v) v[kind] += n;
  }

  get(source: string): SourceView | undefined {
    return this.#views.get(source);
  }

  list(): SourceView[] {
    return [...this.#views.values()].sort((a, b) => a.source.localeCompare(b.source));
  }
}
