/** Public surface of the api stage. */
export * from './app.js';
export { forestPredictModel } from './predict/forest-predict-model.js';
export { MAX_BATCH, parsePredictBody } from './predict/parse-predict-body.js';
export { formatSse, type StreamMessage, StreamHub } from './stream-hub.js';
