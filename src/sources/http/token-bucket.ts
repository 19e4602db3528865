/**
 * A token bucket (rate `perSecond`, capacity `burst`) that hands out tokens in FIFO order.
 *
 * Hand-written on purpose: the usual library (`bottleneck`) has had no release since 2019 and brings
 * clustering and Redis code we do not need; a bucket is a dozen lines. Waiting honours an
 * `AbortSignal`, and an aborted waiter does not hold up the ones queued behind it.
 */
import { setTimeout as delay } from 'node:timers/promises';

export class TokenBucket {
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perSecond > 0) || !(burst >= 1))
      throw new RangeError('rate limit needs perSecond > 0 and burst >= 1');
    this.tokens = burst;
    this.last = now();
  }

  /** Resolves when a token is taken; callers are served in call order. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.tail.then(() => this.waitForToken(signal));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
  }

  private async waitForToken(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
      await delay(waitMs, undefined, signal ? { signal } : {});
    }
  }
}
