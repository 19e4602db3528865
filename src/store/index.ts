/** Public surface of the store stage. */
export { openStore, type Store } from './duckdb-store.js';
export * from './queries/index.js';
export { MIGRATIONS, type Migration } from './schema.js';
