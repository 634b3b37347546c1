import type { Stats } from '@kolejka/spec';

/** How often a session's memory is read where the kernel keeps no peak. */
export const PEAK_SAMPLE_INTERVAL_MS = 100;

/** A reading without a memory peak where there is a usage: the kernel has no memory.peak. */
export function lacksMemoryPeak(reading: Stats): boolean {
  return reading.memory.max_usage === undefined && reading.memory.usage !== undefined;
}

/**
 * cgroup v2 has memory.peak only since Linux 5.19 (Ubuntu 22.04 ships 5.15): without it a
 * session's memory peak would be whatever memory.current shows when stats are asked for,
 * after the solution has gone. Sessions whose readings lack the peak are read every
 * `intervalMs` while they are open, so the peak is the largest usage sampled (a spike
 * shorter than the interval can be missed: the log says the peak is sampled).
 */
export class PeakSampler<T extends { readonly isOpen: boolean }> {
  readonly #sessions = new Set<T>();
  readonly #intervalMs: number;
  readonly #read: (session: T) => Promise<unknown>;
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number, read: (session: T) => Promise<unknown>) {
    this.#intervalMs = intervalMs;
    this.#read = read;
  }

  /** Samples the session from now on, until it closes. Returns false when it already was. */
  watch(session: T): boolean {
    if (this.#sessions.has(session)) return false;
    this.#sessions.add(session);
    this.#timer ??= setInterval(() => this.#tick(), this.#intervalMs);
    this.#timer.unref();
    return true;
  }

  #tick(): void {
    for (const session of this.#sessions) {
      if (session.isOpen) void this.#read(session).catch(() => undefined);
      else this.#sessions.delete(session);
    }
    if (this.#sessions.size === 0) this.stop();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
