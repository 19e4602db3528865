export * from './load-socrata-city-mappings.js';
export * from './mapping.js';
export * from './normalise.js';
