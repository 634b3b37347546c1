import type { CliIo } from './io.js';
import type { Terminal } from './terminal.js';

/**
 * Standard output of a command: readable text by default, one JSON object per line with
 * `--json` (documented per command in the README), nothing but the essential value with
 * `--quiet`.
 */
export class Output {
  readonly #stdout: CliIo['stdout'];
  readonly #terminal: Terminal;
  readonly isJson: boolean;
  readonly isQuiet: boolean;

  constructor(
    stdout: CliIo['stdout'],
    terminal: Terminal,
    options: { isJson: boolean; isQuiet: boolean },
  ) {
    this.#stdout = stdout;
    this.#terminal = terminal;
    this.isJson = options.isJson;
    this.isQuiet = options.isQuiet;
  }

  /** The value the command exists for (a key, a hash): printed even when quiet. */
  value(human: string, json: unknown): void {
    if (this.isJson) this.json(json);
    else this.#write(`${human}\n`);
  }

  /** A report for people (a summary, a state change); left out when quiet. Either form
   * may be undefined when only the other audience needs it. */
  info(human: string | undefined, json?: unknown): void {
    if (this.isJson) {
      if (json !== undefined) this.json(json);
      return;
    }
    if (!this.isQuiet && human !== undefined) this.#write(`${human}\n`);
  }

  json(value: unknown): void {
    this.#write(`${JSON.stringify(value)}\n`);
  }

  #write(text: string): void {
    // On one terminal the progress line (stderr) must not run into a line of output.
    this.#terminal.interrupt(() => this.#stdout.write(text));
  }
}
