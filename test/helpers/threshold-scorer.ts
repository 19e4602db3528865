/**
 * A deterministic test scorer shared by the API and chat tests: flags daily windows with ≥ 15 events,
 * severity by count, so every level occurs and anomaly routes have rows to serve.
 */
import type { AnomalyRow, Scorer } from '../../src/pipeline/index.js';
import { anomalyId } from '../../src/pipeline/index.js';

export const thresholdScorer: Scorer = {
  async scoreClosed(windows) {
    const out: AnomalyRow[] = [];
    for (const w of windows) {
      if (w.granularity !== 'day' || w.eventCount < 15) continue;
      const base = {
        granularity: w.granularity,
        source: w.source,
        areaId: w.areaId,
        category: w.category,
        windowStart: w.windowStart,
        windowEnd: w.windowEnd,
        modelVersion: 'test-threshold-1',
      };
      out.push({
        ...base,
        id: anomalyId(base),
        observed: w.eventCount,
        expected: 8,
        lower: 2,
        upper: 14,
        pValue: 0.001,
        qValue: 0.01,
        severity: w.eventCount >= 30 ? 'high' : w.eventCount >= 20 ? 'medium' : 'low',
        contributors: { rule: 'eventCount >= 15' },
        detectedAt: '2026-01-01T00:00:00.000Z',
      });
    }
    return out;
  },
};
