/** Public surface of src/tracking: MLflow-format experiment tracking and model registry. */
export {
  createRegistry,
  createTracker,
  createTracking,
  resolveTrackingUri,
  type TrackingOptions,
  type TrackingTarget,
} from './create-tracking.js';
export { FileModelRegistry, type FileRegistryOptions } from './file-registry.js';
export {
  DEFAULT_EXPERIMENT_ID,
  DEFAULT_EXPERIMENT_NAME,
  type ExperimentInfo,
  experimentIdFor,
  type FileStoreOptions,
  FileStoreTracker,
  type MetricPoint,
  parseMetricLine,
  RUN_STATUS_CODE,
  type RunRecord,
} from './file-store.js';
export {
  CHAMPION,
  decidePromotion,
  type ForcedPromotion,
  type ForcePromoteInput,
  forcePromote,
  loadChampion,
  MODEL_NAMES,
  type ModelName,
  type ModelRegistry,
  type ModelVersionInfo,
  type PromoteInput,
  type PromotionDecision,
  promoteIfBetter,
  type RegisterVersionArgs,
  type RegisterVersionInput,
  toRegisterInput,
  VERSION_TAGS,
} from './registry.js';
export { LOG_BATCH_LIMITS, MlflowRestClient, type RestClientOptions, RestTracker } from './rest-client.js';
export { RestModelRegistry, type RestRegistryOptions } from './rest-registry.js';
export {
  MLFLOW_TAGS,
  type ParamValue,
  type Run,
  type RunEndStatus,
  type RunStatus,
  type Tracker,
  withRun,
} from './tracker.js';
