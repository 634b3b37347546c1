import { KolejkaError } from '@kolejka/spec';
import { formatDuration } from './duration.js';

/**
 * Aborts one HTTP exchange when it stalls: armed with a deadline for the reply, kicked by
 * every chunk of a streamed body so a long transfer lives as long as bytes keep moving.
 */
export class Watchdog {
  readonly #controller: AbortController;
  readonly #what: string;
  #timer: NodeJS.Timeout | undefined;
  #ms = 0;

  constructor(controller: AbortController, what: string) {
    this.#controller = controller;
    this.#what = what;
  }

  /** (Re)starts the countdown; 0 or Infinity disarms it. */
  arm(ms: number): void {
    this.disarm();
    this.#ms = ms;
    if (ms > 0 && Number.isFinite(ms)) {
      this.#timer = setTimeout(() => this.#fire(), ms);
      // A stalled exchange must not keep a finished program alive.
      this.#timer.unref();
    }
  }

  /** Progress: restart the countdown with the last armed duration. */
  kick(): void {
    if (this.#timer !== undefined) this.#timer.refresh();
  }

  disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  get hasFired(): boolean {
    return this.#controller.signal.aborted && this.#controller.signal.reason instanceof StallError;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#controller.abort(
      new StallError(`${this.#what}: no progress for ${formatDuration(this.#ms)}`, this.#ms),
    );
  }
}

/** The reason a watchdog aborts with: a KOLEJKA_TIMEOUT. */
export class StallError extends KolejkaError {
  constructor(message: string, timeoutMs: number) {
    super('KOLEJKA_TIMEOUT', message, { details: { timeoutMs } });
  }
}
