import type { ProgressEvent, ProgressListener } from '../progress.js';
import { formatBytes } from './format.js';
import type { Terminal } from './terminal.js';

const VERBS = { hash: 'hashing', upload: 'uploading', download: 'downloading' } as const;
const BAR_WIDTH = 24;

function bar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}]`;
}

/**
 * Draws transfers and waiting as one progress line on a TTY: bytes of every file moving
 * in the current phase, summed, and while waiting the task's state and the time spent.
 */
export class ProgressDisplay {
  readonly #terminal: Terminal;
  readonly #files = new Map<string, { bytes: number; total?: number; isDone: boolean }>();
  #phase: keyof typeof VERBS | undefined;
  #waiting: { key: string; state: string; since: number } | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(terminal: Terminal) {
    this.#terminal = terminal;
  }

  /** The listener to hand to the library (undefined when nothing is drawn). */
  get listener(): ProgressListener | undefined {
    return this.#terminal.isTty ? (event) => this.#update(event) : undefined;
  }

  /** Shows "waiting" for a task from now on. */
  waitFor(key: string, state: string): void {
    if (!this.#terminal.isTty) return;
    this.#waiting = { key, state, since: Date.now() };
    this.#timer ??= setInterval(() => this.#drawWaiting(), 250);
    this.#timer.unref();
    this.#drawWaiting();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#waiting = undefined;
    this.#terminal.clearStatus();
  }

  #update(event: ProgressEvent): void {
    if (event.type === 'state') {
      if (this.#waiting !== undefined) this.#waiting.state = event.state;
      this.#drawWaiting();
      return;
    }
    if (event.type !== this.#phase) {
      this.#phase = event.type;
      this.#files.clear();
    }
    this.#files.set(event.name, {
      bytes: event.bytes,
      ...(event.totalBytes === undefined ? {} : { total: event.totalBytes }),
      isDone: event.isDone,
    });
    const files = [...this.#files.values()];
    const bytes = files.reduce((sum, file) => sum + file.bytes, 0);
    const isKnown = files.every((file) => file.total !== undefined);
    const total = files.reduce((sum, file) => sum + (file.total ?? 0), 0);
    const done = files.filter((file) => file.isDone).length;
    const what = files.length === 1 ? event.name : `${done}/${files.length} files`;
    const amount = isKnown
      ? `${bar(total === 0 ? 1 : bytes / total)} ${formatBytes(bytes)} / ${formatBytes(total)}`
      : formatBytes(bytes);
    this.#terminal.status(`${VERBS[event.type]} ${what} ${amount}`);
  }

  #drawWaiting(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    const seconds = Math.floor((Date.now() - waiting.since) / 1000);
    const spinner = '|/-\\'[Math.floor(Date.now() / 250) % 4] as string;
    this.#terminal.status(`${spinner} task ${waiting.key}: ${waiting.state} (${seconds}s)`);
  }
}
