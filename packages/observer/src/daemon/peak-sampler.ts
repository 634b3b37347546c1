/** How often a session is read where the kernel keeps no peak. */
export const PEAK_SAMPLE_INTERVAL_MS = 100;

/**
 * cgroup v2 has memory.peak only since Linux 5.19 (Ubuntu 22.04 ships 5.15), pids.peak only
 * since 6.1: without them a session's peak would be whatever the current value shows when
 * stats are asked for, after the solution has gone. Sessions whose readings lack a peak
 * (spec `peaksWithoutCounter`) are read every `intervalMs` while they are open, so the peak
 * is the largest value sampled (a spike shorter than the interval can be missed: the stats
 * reply names the sampled stats).
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
