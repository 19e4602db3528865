/**
 * `crimepulse taxonomy --report`: how each source's own crime types map onto the canonical categories,
 * over the shipped samples (or a given file), with the unmapped types listed.
 */

import { ConfigError } from '../core/errors.js';
import { formatTaxonomyReport, taxonomyReportRows } from '../core/taxonomy/index.js';
import { knownSourceIds, loadRegistry } from '../sources/registry.js';
import { loadReplayItems } from '../sources/replay.js';
import { createContext } from './context.js';

export async function taxonomyCommand(opts: {
  report?: boolean;
  source?: string;
  file?: string;
  json?: boolean;
}): Promise<void> {
  const ctx = createContext(await knownSourceIds());
  let entries = await loadRegistry({ config: ctx.config });
  if (opts.source) entries = entries.filter((e) => e.id === opts.source);
  if (entries.length === 0) throw new ConfigError('CP_ERR_SOURCE_UNKNOWN', `unknown source: ${opts.source}`);
  for (const entry of entries) {
    const files = opts.file ? [{ ...(entry.samples[0] ?? {}), path: opts.file }] : entry.samples;
    const items = await loadReplayItems({ files, normaliser: entry.normaliser });
    const report = taxonomyReportRows(
      entry.id,
      items.flatMap((i) => (i.result.ok ? [i.result.event] : [])),
    );
    if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(`${formatTaxonomyReport(report)}\n`);
  }
}
