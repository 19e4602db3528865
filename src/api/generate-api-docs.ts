/** `npm run docs:api`: writes docs/api.md from the OpenAPI document (see openapi-markdown.ts). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { apiMarkdown } from './openapi-markdown.js';

const target = process.argv[2] ?? 'docs/api.md';
mkdirSync('docs', { recursive: true });
writeFileSync(target, await apiMarkdown());
console.log(`wrote ${target}`);
