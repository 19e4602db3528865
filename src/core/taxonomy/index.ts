/**
 * Taxonomy mappers, one module per portal family. Keep this a plain re-export list: several people
 * add mappers here and merges must stay trivial.
 */

export * from './chicago.js';
export * from './la.js';
export * from './mapping.js';
export * from './nyc.js';
export * from './uk.js';
