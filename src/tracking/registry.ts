/**
 * Model registry in MLflow's terms: registered models, numbered versions (each pointing at an
 * artifact of the run that produced it), and aliases (`champion`) naming the version to serve.
 * Implementations: `file-registry.ts` (MLflow's `mlruns/models/` layout) and `rest-registry.ts`
 * (MLflow's REST API).
 *
 * CrimePulse registers two models, each with its own `champion`: `predict-iforest` (the /predict
 * IsolationForest) and `series-anomaly` (the count model scoring live windows). A model artifact is
 * one file of opaque bytes (JSON produced by src/model); its flavor travels as the version tag
 * `crimepulse.flavor`, and the evaluation metrics it was registered with as `crimepulse.metric.<key>`
 * tags, so the promotion gate can compare a candidate with the champion on any backend.
 *
 * Promotion rule (`promoteIfBetter`): the candidate takes the alias only when its metric is strictly
 * better than the champion's by more than `minImprovement` (default 0). A tie keeps the champion:
 * re-training on the same data must not churn what is served. A candidate without a finite value of
 * the metric is never promoted; a champion without one is replaced. An operator may override the
 * gate with `forcePromote`, which is logged at warn level and recorded on the version as a tag.
 */
import { TrackingError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export const MODEL_NAMES = { predictIforest: 'predict-iforest', seriesAnomaly: 'series-anomaly' } as const;
export type ModelName = (typeof MODEL_NAMES)[keyof typeof MODEL_NAMES];
export const CHAMPION = 'champion';

/** Version tag keys CrimePulse writes. */
export const VERSION_TAGS = {
  flavor: 'crimepulse.flavor',
  metricPrefix: 'crimepulse.metric.',
  promotion: 'crimepulse.promotion',
  promotionReason: 'crimepulse.promotion_reason',
  forcedPromotion: 'crimepulse.forced_promotion',
} as const;

/** One model version as both backends report it. */
export interface ModelVersionInfo {
  name: string;
  version: number;
  runId: string | undefined;
  /** Where the artifact is (`file:///…/artifacts/<path>` or `mlflow-artifacts:/…/<path>`). */
  source: string;
  /** MLflow status (`READY` once registered). */
  status: string;
  creationTimestamp: number | undefined;
  lastUpdatedTimestamp: number | undefined;
  /** All version tags (including the `crimepulse.*` ones). */
  tags: Record<string, string>;
  /** Evaluation metrics recorded at registration (from `crimepulse.metric.*` tags). */
  metrics: Record<string, number>;
  /** `crimepulse.flavor` tag, e.g. `crimepulse-series-v1`. */
  flavor: string | undefined;
  aliases: string[];
}

export interface RegisterVersionInput {
  /** Registered model name, e.g. `series-anomaly` (created on first registration). */
  name: string;
  /** The run that produced the artifact. */
  runId: string;
  /** Path of the model file inside that run's artifacts (logged before with `run.logArtifact`). */
  artifactPath: string;
  /** Evaluation metrics the promotion gate compares. */
  metrics?: Record<string, number>;
  /** Extra version tags. */
  tags?: Record<string, string>;
  /** Model format tag (`crimepulse.flavor`). */
  flavor?: string;
}

export interface ModelRegistry {
  /**
   * Creates the next version of `name` (and the registered model when new). Also callable
   * positionally: `registerVersion(name, runId, artifactPath, metrics?, tags?)`.
   */
  registerVersion(...args: RegisterVersionArgs): Promise<ModelVersionInfo>;
  /** One version; throws `CP_ERR_TRACKING_NOT_FOUND` when absent. */
  getVersion(name: string, version: number): Promise<ModelVersionInfo>;
  /** The version an alias points at; undefined when the alias (or the model) does not exist. */
  getVersionByAlias(name: string, alias: string): Promise<ModelVersionInfo | undefined>;
  /** Points `alias` at `version` (moving it from any other version). */
  setAlias(name: string, alias: string, version: number): Promise<void>;
  /** Removes an alias; no-op when absent. */
  deleteAlias(name: string, alias: string): Promise<void>;
  /** Sets one version tag. */
  setVersionTag(name: string, version: number, key: string, value: string): Promise<void>;
  /** All versions, ascending; empty when the model does not exist. */
  listVersions(name: string): Promise<ModelVersionInfo[]>;
  /** The artifact bytes of a version. */
  loadArtifact(name: string, version: number): Promise<Uint8Array>;
}

/** MLflow refuses path separators and `%` in registered model names; we also keep them file-safe. */
export function validateModelName(name: string): void {
  if (!/^[A-Za-z0-9_\-. ]+$/.test(name) || name === '.' || name === '..' || name.length > 256) {
    throw new TrackingError(
      'CP_ERR_TRACKING_INVALID',
      `Invalid registered model name ${JSON.stringify(name)}`,
    );
  }
}

/** MLflow's alias rule: word characters and `-`, not `latest` and not `v<digits>` (reserved). */
export function validateAlias(alias: string): void {
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(alias) || alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
    throw new TrackingError('CP_ERR_TRACKING_INVALID', `Invalid alias ${JSON.stringify(alias)}`);
  }
}

/** Splits `crimepulse.metric.*` tags into numbers (shared by both backends). */
export function metricsFromTags(tags: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(tags)) {
    if (!k.startsWith(VERSION_TAGS.metricPrefix)) continue;
    const t = v.trim().toLowerCase();
    out[k.slice(VERSION_TAGS.metricPrefix.length)] =
      t === 'nan'
        ? Number.NaN
        : t === 'inf'
          ? Number.POSITIVE_INFINITY
          : t === '-inf'
            ? Number.NEGATIVE_INFINITY
            : Number(v);
  }
  return out;
}

/** `registerVersion`'s two call forms: one input object, or `(name, runId, artifactPath, metrics?, tags?)`. */
export type RegisterVersionArgs =
  | [input: RegisterVersionInput]
  | [
      name: string,
      runId: string,
      artifactPath: string,
      metrics?: Record<string, number>,
      tags?: Record<string, string>,
    ];

/** Normalises both call forms to one input (a `crimepulse.flavor` tag becomes `flavor`). */
export function toRegisterInput(args: RegisterVersionArgs): RegisterVersionInput {
  if (typeof args[0] !== 'string') return args[0];
  const [name, runId, artifactPath, metrics, tags] = args as [
    string,
    string,
    string,
    Record<string, number>?,
    Record<string, string>?,
  ];
  const flavor = tags?.[VERSION_TAGS.flavor];
  return {
    name,
    runId,
    artifactPath,
    ...(metrics ? { metrics } : {}),
    ...(tags ? { tags } : {}),
    ...(flavor ? { flavor } : {}),
  };
}

/** The version tags `registerVersion` writes for metrics, flavor and extra tags. */
export function registrationTags(input: RegisterVersionInput): Record<string, string> {
  const tags: Record<string, string> = { ...(input.tags ?? {}) };
  for (const [k, v] of Object.entries(input.metrics ?? {}))
    tags[`${VERSION_TAGS.metricPrefix}${k}`] = String(v);
  if (input.flavor) tags[VERSION_TAGS.flavor] = input.flavor;
  return tags;
}

export interface PromoteInput {
  registry: ModelRegistry;
  name: string;
  /** The newly registered version (its number, or the info `registerVersion` returned). */
  candidate: number | ModelVersionInfo;
  /** Metric compared (must be in the versions' registration metrics). */
  metric: string;
  higherIsBetter: boolean;
  log: Logger;
  /** Alias to move; default `champion`. */
  alias?: string;
  /** Required margin over the champion (in the metric's units); default 0 (strictly better). */
  minImprovement?: number;
}

export interface PromotionDecision {
  promoted: boolean;
  reason: string;
  name: string;
  alias: string;
  metric: string;
  candidate: number;
  candidateValue: number | undefined;
  champion: number | undefined;
  championValue: number | undefined;
}

function finite(v: number | undefined): v is number {
  return v !== undefined && Number.isFinite(v);
}

/** Decides by the rule in the module header; pure, so it is tested on its own. */
export function decidePromotion(args: {
  metric: string;
  higherIsBetter: boolean;
  minImprovement?: number;
  candidate: { version: number; value: number | undefined };
  champion: { version: number; value: number | undefined } | undefined;
}): { promoted: boolean; reason: string } {
  const { metric, higherIsBetter, candidate, champion } = args;
  const margin = args.minImprovement ?? 0;
  if (!finite(candidate.value)) return { promoted: false, reason: `candidate has no finite ${metric}` };
  if (!champion) return { promoted: true, reason: 'no champion yet' };
  if (champion.version === candidate.version)
    return { promoted: false, reason: 'candidate is already the champion' };
  if (!finite(champion.value))
    return { promoted: true, reason: `champion v${champion.version} has no finite ${metric}` };
  const gain = higherIsBetter ? candidate.value - champion.value : champion.value - candidate.value;
  const dir = higherIsBetter ? 'higher' : 'lower';
  if (gain > margin) {
    return {
      promoted: true,
      reason: `${metric} ${candidate.value} beats champion v${champion.version} ${champion.value} (${dir} is better)`,
    };
  }
  if (gain === 0) {
    return {
      promoted: false,
      reason: `tie on ${metric} (${candidate.value}): the champion v${champion.version} stays`,
    };
  }
  return {
    promoted: false,
    reason: `${metric} ${candidate.value} does not beat champion v${champion.version} ${champion.value} by more than ${margin} (${dir} is better)`,
  };
}

/**
 * Moves the alias to `candidate` only when its evaluation beats the champion's. The decision is
 * logged and written on the candidate as tags (`crimepulse.promotion`, `crimepulse.promotion_reason`).
 */
export async function promoteIfBetter(input: PromoteInput): Promise<PromotionDecision> {
  const { registry, name, metric, higherIsBetter, log } = input;
  const alias = input.alias ?? CHAMPION;
  const candidate = await registry.getVersion(
    name,
    typeof input.candidate === 'number' ? input.candidate : input.candidate.version,
  );
  const champion = await registry.getVersionByAlias(name, alias);
  const decision = decidePromotion({
    metric,
    higherIsBetter,
    ...(input.minImprovement === undefined ? {} : { minImprovement: input.minImprovement }),
    candidate: { version: candidate.version, value: candidate.metrics[metric] },
    champion: champion ? { version: champion.version, value: champion.metrics[metric] } : undefined,
  });
  if (decision.promoted) await registry.setAlias(name, alias, candidate.version);
  await registry.setVersionTag(
    name,
    candidate.version,
    VERSION_TAGS.promotion,
    decision.promoted ? 'promoted' : 'rejected',
  );
  await registry.setVersionTag(
    name,
    candidate.version,
    VERSION_TAGS.promotionReason,
    decision.reason.slice(0, 5000),
  );
  const out: PromotionDecision = {
    ...decision,
    name,
    alias,
    metric,
    candidate: candidate.version,
    candidateValue: candidate.metrics[metric],
    champion: champion?.version,
    championValue: champion?.metrics[metric],
  };
  log.info(
    { component: 'tracking', event: 'promotion', ...out },
    decision.promoted ? 'model promoted' : 'model not promoted',
  );
  return out;
}

export interface ForcePromoteInput {
  registry: ModelRegistry;
  name: string;
  version: number;
  log: Logger;
  /** Who asked (admin token holder, CLI user). */
  actor: string;
  /** Why the gate is overridden; required so the audit trail says something. */
  reason: string;
  alias?: string;
  now?: () => number;
}

export interface ForcedPromotion {
  name: string;
  alias: string;
  version: number;
  previous: number | undefined;
  actor: string;
  reason: string;
  at: string;
}

/**
 * An operator's explicit promotion of a named version, bypassing the evaluation gate. Logged at warn
 * level and recorded on the version (`crimepulse.forced_promotion`, JSON) so the override is auditable.
 */
export async function forcePromote(input: ForcePromoteInput): Promise<ForcedPromotion> {
  const { registry, name, log } = input;
  const alias = input.alias ?? CHAMPION;
  const target = await registry.getVersion(name, input.version);
  const previous = await registry.getVersionByAlias(name, alias);
  await registry.setAlias(name, alias, target.version);
  const record: ForcedPromotion = {
    name,
    alias,
    version: target.version,
    previous: previous?.version,
    actor: input.actor,
    reason: input.reason,
    at: new Date((input.now ?? Date.now)()).toISOString(),
  };
  await registry.setVersionTag(name, target.version, VERSION_TAGS.forcedPromotion, JSON.stringify(record));
  await registry.setVersionTag(name, target.version, VERSION_TAGS.promotion, 'forced');
  await registry.setVersionTag(
    name,
    target.version,
    VERSION_TAGS.promotionReason,
    input.reason.slice(0, 5000),
  );
  log.warn(
    { component: 'tracking', event: 'forced-promotion', override: true, ...record },
    'model promotion forced by operator (evaluation gate overridden)',
  );
  return record;
}

/** What serving loads: the champion's version and artifact bytes; undefined when there is none. */
export async function loadChampion(
  registry: ModelRegistry,
  name: string,
  alias: string = CHAMPION,
): Promise<{ version: ModelVersionInfo; bytes: Uint8Array } | undefined> {
  const version = await registry.getVersionByAlias(name, alias);
  if (!version) return undefined;
  return { version, bytes: await registry.loadArtifact(name, version.version) };
}
