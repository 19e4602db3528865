/** Public surface of the pipeline stage. */

export {
  type CoalescingOptions,
  type CoalescingSink,
  coalescingSink,
  mergeBatches,
} from './coalescing-sink.js';
export { finestWindowEnd, type Granularity, WindowAssigner, type WindowAssignment } from './event-time.js';
export type {
  BatchInput,
  BatchOutcome,
  CursorUpdate,
  DeadLetter,
  OffsetUpdate,
  PipelineStore,
  StagedEvent,
} from './pipeline-store.js';
export { type BatchSummary, type PipelineOptions, runPipeline } from './run-pipeline.js';
export { AnomalyRow, anomalyId, type ClosedWindow, type Scorer, Severity } from './scorer.js';
export type { CommittedBatch, Sink, WindowRow } from './sink.js';
export { type Lateness, type SourceWatermark, Watermarks } from './watermark.js';
