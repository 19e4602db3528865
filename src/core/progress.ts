/**
 * Progress for long commands (replay, ingest --since, train, evaluate): a cli-progress bar on an
 * interactive terminal, plain structured log lines otherwise (CI, containers, pipes).
 */
import { SingleBar } from 'cli-progress';
import type { Logger } from './logger.js';

export interface Progress {
  /** Adds `n` done units (default 1). */
  tick(n?: number): void;
  /** Changes the total once it becomes known. */
  setTotal(total: number): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  log: Logger;
  /** Force a mode; default: a bar when stderr is a TTY. */
  interactive?: boolean;
  /** Seconds between log lines in non-interactive mode. */
  everySeconds?: number;
}

export function createProgress(options: ProgressOptions): Progress {
  let done = 0;
  let total = options.total;
  if (options.interactive ?? process.stderr.isTTY === true) {
    const bar = new SingleBar({
      format: `${options.label} [{bar}] {percentage}% | {value}/{total} | eta {eta}s`,
      stream: process.stderr,
    });
    bar.start(total, 0);
    return {
      tick: (n = 1) => {
        done += n;
        bar.update(done);
      },
      setTotal: (t) => {
        total = t;
        bar.setTotal(t);
      },
      stop: () => bar.stop(),
    };
  }
  const everyMs = (options.everySeconds ?? 5) * 1000;
  let last = Date.now();
  const startedAt = last;
  const line = (msg: string) =>
    options.log.info(
      { label: options.label, done, total, durationMs: Date.now() - startedAt },
      `${options.label}: ${msg}`,
    );
  return {
    tick: (n = 1) => {
      done += n;
      if (Date.now() - last >= everyMs) {
        last = Date.now();
        line(`${done}/${total}`);
      }
    },
    setTotal: (t) => {
      total = t;
    },
    stop: () => line(`done ${done}/${total}`),
  };
}
