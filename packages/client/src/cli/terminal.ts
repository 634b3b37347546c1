import type { CliIo } from './io.js';

/**
 * Standard error shared by log lines and the progress line: a log line first clears the
 * progress line, which is drawn again on the next update. Progress is drawn only on a TTY.
 */
export class Terminal {
  readonly #stderr: CliIo['stderr'];
  readonly isTty: boolean;
  #status = '';

  constructor(stderr: CliIo['stderr'], isProgressWanted: boolean) {
    this.#stderr = stderr;
    this.isTty = isProgressWanted && stderr.isTTY === true;
  }

  get width(): number {
    // A terminal of unknown size reports 0 columns.
    const columns = this.#stderr.columns ?? 0;
    return Math.max(20, (columns > 0 ? columns : 80) - 1);
  }

  /** A whole line on stderr (a log line, a warning). */
  line(text: string): void {
    this.#clear();
    this.#stderr.write(`${text}\n`);
    if (this.#status !== '') this.#stderr.write(this.#status);
  }

  /** Runs `write` (output on stdout) with the progress line out of the way. */
  interrupt(write: () => void): void {
    this.#clear();
    write();
    if (this.#status !== '') this.#stderr.write(this.#status);
  }

  /** Replaces the progress line (TTY only). */
  status(text: string): void {
    if (!this.isTty) return;
    const fitted = text.length > this.width ? `${text.slice(0, this.width - 1)}…` : text;
    this.#clear();
    this.#status = fitted;
    this.#stderr.write(fitted);
  }

  /** Removes the progress line. */
  clearStatus(): void {
    this.#clear();
    this.#status = '';
  }

  #clear(): void {
    if (this.isTty && this.#status !== '') this.#stderr.write('\r\x1b[2K');
  }
}
