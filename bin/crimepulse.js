#!/usr/bin/env node
// Entry point: registers tsx so the TypeScript sources run without a build step, then hands over to the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
await main(process.argv);
