/**
 * Runs the count-model backtest on the shipped real samples and writes bench/results/backtest.json
 * (the same tables `crimepulse evaluate backtest` prints). Usage: npx tsx bench/backtest.ts [--no-hourly]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { formatBacktestTables, runBacktest } from '../src/model/evaluation/backtest.js';
import { sampleBacktestSeries } from '../src/model/evaluation/samples.js';

const hourly = !process.argv.includes('--no-hourly');
const started = Date.now();
const series = await sampleBacktestSeries('samples', { hourly });
const tables = runBacktest(series, { seed: 20150201 });
await mkdir('bench/results', { recursive: true });
await writeFile(
  'bench/results/backtest.json',
  `${JSON.stringify({ generatedAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000, node: process.version, ...tables }, null, 2)}\n`,
);
console.log(formatBacktestTables(tables));
