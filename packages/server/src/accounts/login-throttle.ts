import { HttpError } from '../http/errors.js';

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

/** Buckets kept before full ones are forgotten (a full bucket is the same as none). */
const PRUNE_AT = 10_000;
/** Hard bound on memory: past it the oldest buckets go, full or not. */
const MAX_BUCKETS = 100_000;
/** A prune walks every bucket: at most one a second, so a spray of addresses stays O(1) a try. */
const PRUNE_INTERVAL_MS = 1000;

/**
 * Password attempts limited per client address and per user name, with token buckets:
 * each key may try `attemptsPerMinute` times in a burst, then once every
 * `60 / attemptsPerMinute` seconds. An attempt is taken before the password is hashed, so
 * guesses past the limit cost no scrypt at all. Per user name too, so guesses spread over
 * many addresses still get only the one budget per account; a legitimate user locked out
 * that way waits a minute at most, and API tokens are not limited (prefer them).
 */
export class LoginThrottle {
  readonly #capacity: number;
  readonly #perMs: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();
  #prunedAtMs = -Infinity;

  constructor(options: { attemptsPerMinute: number; now?: () => number }) {
    this.#capacity = Math.max(1, options.attemptsPerMinute);
    this.#perMs = options.attemptsPerMinute / 60_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Takes one attempt from the address's and the user name's buckets, or throws 429 with
   * `Retry-After` (whole seconds until both have an attempt again) and takes nothing.
   */
  take(address: string, username: string): void {
    const now = this.#now();
    const keys = [`address:${address}`, `user:${username.toLowerCase()}`];
    const buckets = keys.map((key) => this.#refilled(key, now));
    const waitMs = Math.max(...buckets.map((bucket) => (1 - bucket.tokens) / this.#perMs));
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new HttpError(
        429,
        'KOLEJKA_UNAVAILABLE',
        `Too many login attempts: try again in ${seconds} s (or use an API token)`,
        { headers: { 'Retry-After': String(seconds) }, details: { retryAfterSeconds: seconds } },
      );
    }
    keys.forEach((key, index) => {
      const bucket = buckets[index] ?? { tokens: this.#capacity, updatedAtMs: now };
      this.#buckets.delete(key);
      this.#buckets.set(key, { tokens: bucket.tokens - 1, updatedAtMs: now });
    });
    // Insertion order is last-use order (the keys were re-inserted above): the first are
    // the oldest, dropped at once past the hard bound.
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= MAX_BUCKETS) break;
      this.#buckets.delete(key);
    }
    if (this.#buckets.size > PRUNE_AT && now - this.#prunedAtMs >= PRUNE_INTERVAL_MS) {
      this.#prunedAtMs = now;
      this.#forgetFull(now);
    }
  }

  #refilled(key: string, now: number): Bucket {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return { tokens: this.#capacity, updatedAtMs: now };
    const tokens = Math.min(
      this.#capacity,
      bucket.tokens + (now - bucket.updatedAtMs) * this.#perMs,
    );
    return { tokens, updatedAtMs: now };
  }

  /** How many buckets are kept (tests watch the bound). */
  get size(): number {
    return this.#buckets.size;
  }

  /** Full buckets say nothing a missing one does not: forgotten. */
  #forgetFull(now: number): void {
    for (const key of [...this.#buckets.keys()]) {
      if (this.#refilled(key, now).tokens >= this.#capacity) this.#buckets.delete(key);
    }
  }
}
