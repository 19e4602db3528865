/**
 * The `crimepulse` command line. Each command wires the stages it needs (dependencies are passed in,
 * not imported sideways) and is loaded only when run, so `--help` stays fast.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { CrimePulseError } from './core/errors.js';

function number(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`not a number: ${value}`);
  return n;
}

function speed(value: string): string {
  if (value === 'max' || /^\d+(\.\d+)?x$/.test(value)) return value;
  throw new InvalidArgumentError('use e.g. 60x or max');
}

export function buildProgram(): Command {
  const program = new Command()
    .name('crimepulse')
    .description('Real-time crime analytics and anomaly detection: ingest, process, model, serve.')
    .version('0.1.0')
    .showHelpAfterError();

  program
    .command('start')
    .description(
      'Run every role in one process: sources (auto mode), pipeline, store, lake, models, API and dashboard.',
    )
    .option('-p, --port <port>', 'HTTP port (default $PORT or 8080)', number)
    .addOption(
      new Option('--mode <mode>', 'sources: probe then live or replay, or force one').choices([
        'auto',
        'live',
        'replay',
      ]),
    )
    .option(
      '--speed <speed>',
      'replay speed, e.g. 60x or max (default $CRIMEPULSE_REPLAY_SPEED or 60x)',
      speed,
    )
    .option(
      '--backfill <fraction>',
      'share of each replayed sample played at full speed first, 0..1',
      number,
      0.5,
    )
    .action(async (opts) => (await import('./cli/start.js')).startCommand(opts));

  program
    .command('ingest')
    .description(
      'Sources → Kafka, as its own process (needs CRIMEPULSE_KAFKA_BROKERS); cursors in ingest-state.duckdb.',
    )
    .addOption(
      new Option('--mode <mode>', 'probe then live or replay, or force one').choices([
        'auto',
        'live',
        'replay',
      ]),
    )
    .option('--since <date>', 'backfill live sources from this date when they have no cursor yet')
    .option('--source <id...>', 'only these sources')
    .option('--speed <speed>', 'replay speed, e.g. 60x or max', speed)
    .action(async (opts) => (await import('./cli/ingest.js')).ingestCommand(opts));

  program
    .command('replay')
    .description('Replay one recorded file through the whole pipeline into the data dir, then exit.')
    .requiredOption('--source <id>', 'source id, e.g. chicago, uk-police, nyc-shootings, socrata-sf')
    .requiredOption('--file <path>', 'recorded CSV, CSV.gz or JSON file in the portal format')
    .option(
      '--speed <speed>',
      'replay speed, e.g. 60x or max (default $CRIMEPULSE_REPLAY_SPEED or 60x)',
      speed,
    )
    .action(async (opts) => (await import('./cli/replay.js')).replayCommand(opts));

  program
    .command('process')
    .description('Kafka → pipeline → store and lake, as its own process, with the API on its store.')
    .option('--group <id>', 'consumer group', 'crimepulse-process')
    .option('--worker <id>', 'worker id (names its batch sequence and the lake txn appId)')
    .option('-p, --port <port>', 'HTTP port', number)
    .action(async (opts) => (await import('./cli/process.js')).processCommand(opts));

  program
    .command('serve')
    .description(
      'API and dashboard read-only on the Delta tables (refreshed periodically), beside a process that owns the store.',
    )
    .option('--lake <dir>', 'lake folder (default <dataDir>/lake)')
    .option('--refresh <seconds>', 'how often the lake is re-read', number, 60)
    .option('-p, --port <port>', 'HTTP port (default $PORT or 8080)', number)
    .action(async (opts) => (await import('./cli/serve.js')).serveCommand(opts));

  program
    .command('chat')
    .description(
      'Serve the chatbot alone (Rasa REST channel and /chat page), answering through a CrimePulse API.',
    )
    .requiredOption('--api <url>', 'base URL of a running CrimePulse API, e.g. http://localhost:8080')
    .option('-p, --port <port>', 'HTTP port (default $PORT or 8080)', number)
    .action(async (opts) => (await import('./cli/chat.js')).chatCommand(opts));

  program
    .command('train')
    .description(
      'Train series-anomaly and predict-iforest on the history; promote a version only if it beats the champion.',
    )
    .addOption(new Option('--from <where>', 'history source').choices(['store', 'lake']).default('store'))
    .action(async (opts) => (await import('./cli/train.js')).trainCommand(opts));

  const lake = program.command('lake').description('Delta Lake maintenance on <dataDir>/lake.');
  lake
    .command('files')
    .description('List the active parquet files of each table (for readers without a Delta reader).')
    .option('--table <name>', 'events, windows_hourly, windows_daily, windows_monthly or anomalies')
    .option('--json', 'one JSON line per table')
    .action(async (opts) => (await import('./cli/lake.js')).lakeCommand('files', opts));
  lake
    .command('optimize')
    .description('Compact small files (one commit per table, dataChange=false).')
    .option('--table <name>', 'one table only')
    .action(async (opts) => (await import('./cli/lake.js')).lakeCommand('optimize', opts));
  lake
    .command('vacuum')
    .description('Delete files no longer referenced and older than the retention (default 168 h).')
    .option('--table <name>', 'one table only')
    .option('--retention-hours <hours>', 'retention', number)
    .option('--force', 'allow a retention under 168 h')
    .action(async (opts) => (await import('./cli/lake.js')).lakeCommand('vacuum', opts));

  program
    .command('taxonomy')
    .description('Report how each source’s crime types map onto the canonical categories.')
    .option('--report', 'print the mapping report (the default)')
    .option('--source <id>', 'one source only')
    .option('--file <path>', 'a recorded file instead of the shipped sample')
    .option('--json', 'JSON output')
    .action(async (opts) => (await import('./cli/taxonomy.js')).taxonomyCommand(opts));

  const evaluate = program.command('evaluate').description('Model evaluations.');
  evaluate
    .command('nab')
    .description(
      'Run every detector on a folder in NAB layout, write NAB results, score them if nab-score is found.',
    )
    .requiredOption(
      '--data <dir>',
      'NAB folder (data/<category>/<file>.csv, labels/combined_windows.json); NAB is not shipped',
    )
    .requiredOption('--out <dir>', 'results folder: <out>/<detector>/<category>/<detector>_<file>.csv')
    .option('--detectors <list>', 'comma-separated detector names')
    .option('--scorer <path>', 'nab-score executable (default ../shared/tools/nab-score)')
    .action(async (opts) => (await import('./cli/evaluate.js')).evaluateNabCommand(opts));
  evaluate
    .command('backtest')
    .description('Rolling-origin forecast errors and injected-anomaly recall on the shipped samples.')
    .option('--no-hourly', 'skip the hourly Chicago series')
    .action(async (opts) => (await import('./cli/evaluate.js')).evaluateBacktestCommand(opts));

  evaluate
    .command('chat')
    .description('Intent accuracy, entity F1 and date-parsing accuracy of the chatbot on its held-out set.')
    .option('--json', 'JSON output')
    .action(async (opts) => (await import('./cli/chat.js')).evaluateChatCommand(opts));

  return program;
}

/** Runs the CLI; errors with a catalogue code print one clear line and exit non-zero. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CrimePulseError) {
      process.stderr.write(`crimepulse: ${err.code}: ${err.message}\n`);
      process.exit(err.kind === 'config' ? 2 : 1);
    }
    throw err;
  }
}
