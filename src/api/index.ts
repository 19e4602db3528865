/** Public surface of the api stage. */
export * from './app.js';
export { createEventFeed, type LocalEventFeed } from './event-feed.js';
export { forestPredictModel } from './predict/forest-predict-model.js';
export { MAX_BATCH, parsePredictBody } from './predict/parse-predict-body.js';
export { formatSse, StreamHub, type StreamMessage } from './stream-hub.js';
