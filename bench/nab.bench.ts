/**
 * NAB run of the streaming detectors (cpEnsemble and the iforest baseline), scored with NAB's method.
 * Run: NAB_DIR=/work/shared/data/nab NAB_SCORER=/work/shared/tools/nab-score npx tsx bench/nab.bench.ts
 * Writes results under .crimepulse-tmp/nab-bench/ and the score table to bench/results/nab.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { formatNabScoreTable, runNab, scoreNab } from '../src/model/evaluation/nab.js';
import { DEFAULT_ENSEMBLE } from '../src/model/streaming/ensemble-detector.js';

const dataDir = process.env.NAB_DIR ?? '/work/shared/data/nab';
const scorer = process.env.NAB_SCORER ?? '/work/shared/tools/nab-score';
const outDir = '.crimepulse-tmp/nab-bench';
const detectors = ['cpEnsemble', 'iforest'];
const run = await runNab({ dataDir, outDir, detectors });
const table = await scoreNab({
  scorer,
  resultsDir: outDir,
  jsonOut: `${outDir}/scores.json`,
  dataDir,
  detectors,
});
const report = {
  bench: 'nab',
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  loadavg: os.loadavg(),
  series: run.series,
  rowsScored: run.rows,
  runSeconds: Math.round(run.ms / 100) / 10,
  scoring: 'nab-score default mode (thresholds re-optimised per detector and profile)',
  cpEnsembleConfig: DEFAULT_ENSEMBLE,
  table,
  scoreboardLeader: { detector: 'ARTime', standard: 74.85, lowFP: 65.15, lowFN: 80.36 },
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/nab.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
console.log(formatNabScoreTable(table));
console.log(`${run.series} series, ${run.rows} rows (all detectors) in ${report.runSeconds} s`);
