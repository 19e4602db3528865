/**
 * Structured JSON logs (pino). Every module gets a child logger with a `component` field; secrets are
 * redacted by path so a token in a config object or header never reaches a log line.
 */
import { type LevelWithSilent, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'adminToken',
  'socrataAppToken',
  '*.adminToken',
  '*.socrataAppToken',
  'headers.authorization',
  'headers["x-app-token"]',
  'req.headers.authorization',
  'req.headers["x-app-token"]',
  '*.headers.authorization',
  '*.headers["x-app-token"]',
  'config.adminToken',
  'config.socrataAppToken',
];

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where lines go; defaults to stdout. Tests pass a stream to read lines back. */
  destination?: NodeJS.WritableStream;
}

/** The root logger of a process; pass it down and call `.child({ component })`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
