/**
 * The periodic "what is flowing" log line of long-running roles: events per source since start,
 * each source's mode, and the store's totals, so a newcomer sees data arrive without opening a page.
 */
import type { Logger } from '../core/logger.js';
import type { SourceStatusBoard } from '../sources/status-board.js';

export function startStatusLog(
  board: SourceStatusBoard,
  log: Logger,
  everyMs: number,
  signal: AbortSignal,
): void {
  const timer = setInterval(() => {
    const sources = board.list();
    const counts = Object.fromEntries(sources.map((s) => [s.source, s.events]));
    const modes = Object.fromEntries(
      sources.map((s) => [s.source, s.complete ? `${s.mode} (complete)` : s.mode]),
    );
    const total = sources.reduce((n, s) => n + s.events, 0);
    log.info(
      { component: 'status', counts, modes, total },
      `events published so far: ${total} (${sources.map((s) => `${s.source} ${s.events}`).join(', ')})`,
    );
  }, everyMs);
  timer.unref();
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}
