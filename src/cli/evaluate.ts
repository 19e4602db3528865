/**
 * `crimepulse evaluate nab|backtest`: the model evaluations, printed as tables. NAB is not shipped:
 * `--data` points at a folder in NAB's layout (e.g. ../shared/data/nab); scoring uses the external
 * `nab-score` tool when it is found (`--scorer`, default ../shared/tools/nab-score).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { createProgress } from '../core/progress.js';
import { formatBacktestTables, runBacktest } from '../model/evaluation/backtest.js';
import { formatNabScoreTable, NAB_DETECTORS, runNab, scoreNab } from '../model/evaluation/nab.js';
import { sampleBacktestSeries } from '../model/evaluation/samples.js';
import { createContext } from './context.js';

export interface NabCommandOptions {
  data: string;
  out: string;
  detectors?: string;
  scorer?: string;
}

export async function evaluateNabCommand(opts: NabCommandOptions): Promise<void> {
  const ctx = createContext([]);
  const dataDir = resolve(opts.data);
  if (!existsSync(join(dataDir, 'data'))) {
    throw new ConfigError(
      'CP_ERR_CONFIG_INVALID',
      `--data ${opts.data}: no data/ folder in NAB's layout there (NAB is not shipped; use ../shared/data/nab)`,
    );
  }
  const detectors = opts.detectors ? opts.detectors.split(',') : Object.keys(NAB_DETECTORS);
  await mkdir(opts.out, { recursive: true });
  const progress = createProgress({ label: 'nab', total: 0, log: ctx.log });
  const result = await runNab({
    dataDir,
    outDir: resolve(opts.out),
    detectors,
    onProgress: (p) => {
      progress.setTotal(p.total);
      progress.tick();
    },
  });
  progress.stop();
  ctx.log.info(
    { ...result },
    `wrote ${result.series} series × ${result.detectors.length} detectors to ${opts.out}`,
  );
  const scorer = opts.scorer ?? resolve('../shared/tools/nab-score');
  if (!existsSync(scorer)) {
    process.stdout.write(
      `results written to ${opts.out}; no scorer found at ${scorer} (pass --scorer PATH to score them)\n`,
    );
    return;
  }
  const rows = await scoreNab({
    scorer,
    resultsDir: resolve(opts.out),
    jsonOut: join(resolve(opts.out), 'scores.json'),
    dataDir,
    detectors: result.detectors,
  });
  process.stdout.write(
    `NAB scores (normalised, 100 = perfect, 0 = null detector):\n${formatNabScoreTable(rows)}\n`,
  );
  process.stdout.write(
    'Scoreboard for comparison: ARTime 74.85 / numenta 70.10 / contextOSE 69.90 / knncad 57.99 / windowedGaussian 39.65 (standard)\n',
  );
}

export async function evaluateBacktestCommand(opts: { hourly?: boolean }): Promise<void> {
  const ctx = createContext([]);
  const series = await sampleBacktestSeries(ctx.config.samplesDir, { hourly: opts.hourly ?? true });
  const tables = runBacktest(series);
  process.stdout.write(`${formatBacktestTables(tables)}\n`);
}
