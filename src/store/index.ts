/** Public surface of the store stage. */
export { openStore, type Store } from './duckdb-store.js';
export { buildLakeMirror, type LakeFile, type LakeFiles } from './lake-mirror.js';
export * from './queries/index.js';
export { MIGRATIONS, type Migration } from './schema.js';
