/**
 * Event-time watermarks, one per source (Flink `BoundedOutOfOrdernessWatermarks`):
 * `watermark = max(occurredAt seen) − lagMs(source)`, never decreasing. Portals differ in how out
 * of order they publish, so the lag is per source. Replays keep the records' own timestamps, so
 * the watermark is event time only, never wall-clock.
 *
 * Lateness, per event, against its finest window (hour, local day, or month by precision):
 * - window end > watermark            → on time;
 * - window end ≤ watermark < end + allowedLatenessMs → late, still updates its windows (metric);
 * - otherwise                          → too late: side output to `late_events`, never dropped.
 * The decision uses the watermark before the event, so a batch gives the same answers as the same
 * events one by one.
 */

export interface SourceWatermark {
  /** Newest occurredAt seen (epoch ms), or -Infinity. */
  maxOccurredMs: number;
  /** Current watermark (epoch ms), or -Infinity. */
  watermarkMs: number;
}

export type Lateness = 'on-time' | 'late' | 'too-late';

export class Watermarks {
  private readonly state = new Map<string, SourceWatermark>();

  constructor(
    private readonly allowedLatenessMs: number,
    private readonly lagMs: (source: string) => number = () => 0,
  ) {}

  /** Restores committed state (from the store at start). */
  restore(source: string, wm: SourceWatermark): void {
    this.state.set(source, { ...wm });
  }

  get(source: string): SourceWatermark {
    return (
      this.state.get(source) ?? {
        maxOccurredMs: Number.NEGATIVE_INFINITY,
        watermarkMs: Number.NEGATIVE_INFINITY,
      }
    );
  }

  /** Classifies an event against the current watermark, then advances the watermark with it. */
  observe(source: string, occurredMs: number, windowEndMs: number): Lateness {
    const cur = this.get(source);
    let verdict: Lateness = 'on-time';
    if (windowEndMs <= cur.watermarkMs)
      verdict = windowEndMs + this.allowedLatenessMs > cur.watermarkMs ? 'late' : 'too-late';
    if (occurredMs > cur.maxOccurredMs) {
      const wm = Math.max(cur.watermarkMs, occurredMs - this.lagMs(source));
      this.state.set(source, { maxOccurredMs: occurredMs, watermarkMs: wm });
    }
    return verdict;
  }

  /** Snapshot for the commit transaction. */
  entries(): [string, SourceWatermark][] {
    return [...this.state.entries()].map(([k, v]) => [k, { ...v }]);
  }
}
