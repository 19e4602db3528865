/**
 * Training of the two registered models, tracked as MLflow runs: the fits run in a worker thread
 * (fit-models.ts), then each model's run logs params, metrics and the model file, the new version is
 * registered, and it becomes `champion` only when its evaluation beats the current champion's
 * (series-anomaly: hold-out MAE ratio vs seasonal-naive, lower is better; predict-iforest: injected
 * anomaly AUC, higher is better).
 */
import type { Logger } from '../../core/logger.js';
import { runInWorker } from '../../core/worker.js';
import type { ModelRegistry, ModelVersionInfo, Tracker } from '../../tracking/index.js';
import { MODEL_NAMES, promoteIfBetter } from '../../tracking/index.js';
import type { IsolationForestJson } from '../iforest/isolation-forest.js';
import { type FitInput, type FitOutput, fitAllModels, type SeriesModelBundle } from './fit-models.js';

export type { SeriesModelBundle } from './fit-models.js';

export interface TrainInput extends FitInput {
  tracker: Tracker;
  registry: ModelRegistry;
  log: Logger;
  /** Where the history came from (`store` or `lake`), logged as a param. */
  historySource: string;
  /** Fit in the calling thread (tests, the `train` command); default: a worker thread. */
  inline?: boolean;
}

export interface TrainedModel<A> {
  name: string;
  artifact: A;
  version: ModelVersionInfo;
  promoted: boolean;
  reason: string;
  metrics: Record<string, number>;
}

export interface TrainResult {
  seriesAnomaly?: TrainedModel<SeriesModelBundle>;
  predictIforest: TrainedModel<IsolationForestJson>;
}

async function register(
  input: TrainInput,
  name: string,
  runName: string,
  params: Record<string, string | number | boolean>,
  metrics: Record<string, number>,
  artifact: unknown,
  gate: { metric: string; higherIsBetter: boolean },
): Promise<{ version: ModelVersionInfo; promoted: boolean; reason: string }> {
  const run = await input.tracker.startRun('crimepulse-training', runName, { 'crimepulse.model': name });
  try {
    await run.logParams(params);
    await run.logMetrics(metrics);
    await run.logArtifact('model/model.json', JSON.stringify(artifact));
    const version = await input.registry.registerVersion({
      name,
      runId: run.id,
      artifactPath: 'model/model.json',
      metrics,
      flavor: name,
    });
    const decision = await promoteIfBetter({
      registry: input.registry,
      name,
      candidate: version,
      metric: gate.metric,
      higherIsBetter: gate.higherIsBetter,
      log: input.log,
    });
    await run.setTags({
      'crimepulse.promoted': String(decision.promoted),
      'crimepulse.promotion_reason': decision.reason,
    });
    await run.end('FINISHED');
    return { version, promoted: decision.promoted, reason: decision.reason };
  } catch (err) {
    await run.end('FAILED').catch(() => undefined);
    throw err;
  }
}

/** Fits both models (in a worker unless `inline`), then logs, registers and gates each. */
export async function trainModels(input: TrainInput): Promise<TrainResult> {
  const fitInput: FitInput = {
    windows: input.windows,
    timeZones: input.timeZones,
    ...(input.seed === undefined ? {} : { seed: input.seed }),
  };
  const fitted: FitOutput = input.inline
    ? fitAllModels(fitInput)
    : await runInWorker<FitInput, FitOutput>(
        new URL('./fit-models.ts', import.meta.url),
        'fitAllModels',
        fitInput,
      );
  let seriesAnomaly: TrainedModel<SeriesModelBundle> | undefined;
  if (fitted.seriesAnomaly) {
    const f = fitted.seriesAnomaly;
    const reg = await register(
      input,
      MODEL_NAMES.seriesAnomaly,
      'series-anomaly',
      { history: input.historySource, ...f.params },
      f.metrics,
      f.artifact,
      {
        metric: 'holdout_mae_ratio',
        higherIsBetter: false,
      },
    );
    input.log.info(
      { ...f.metrics, version: reg.version.version, promoted: reg.promoted },
      `series-anomaly v${reg.version.version}: ${reg.reason}`,
    );
    seriesAnomaly = { name: MODEL_NAMES.seriesAnomaly, artifact: f.artifact, metrics: f.metrics, ...reg };
  } else {
    input.log.warn(
      { windows: input.windows.length },
      'series-anomaly: not enough history to fit any series yet',
    );
  }
  const p = fitted.predictIforest;
  const reg = await register(
    input,
    MODEL_NAMES.predictIforest,
    'predict-iforest',
    { history: input.historySource, ...p.params },
    p.metrics,
    p.artifact,
    {
      metric: 'injected_auc',
      higherIsBetter: true,
    },
  );
  input.log.info(
    { ...p.metrics, version: reg.version.version, promoted: reg.promoted },
    `predict-iforest v${reg.version.version}: ${reg.reason}`,
  );
  return {
    ...(seriesAnomaly ? { seriesAnomaly } : {}),
    predictIforest: { name: MODEL_NAMES.predictIforest, artifact: p.artifact, metrics: p.metrics, ...reg },
  };
}
