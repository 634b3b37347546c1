import type { Logger } from '@kolejka/spec';
import { KolejkaError } from '@kolejka/spec';
import { errnoOf } from './cgroup-fs.js';
import { waitUntil } from './wait.js';

export interface Killable {
  readonly path: string;
  listPids(recursive?: boolean): Promise<number[]>;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
}

function sigkill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    // Already gone between listing and killing: that is the goal anyway.
    if (errnoOf(error) !== 'ESRCH') throw error;
  }
}

/**
 * Freeze, SIGKILL every pid of the subtree, thaw, wait until the subtree is empty. Freezing
 * first means nothing can fork between listing and killing; rounds repeat for anything that
 * still slipped in (a process that was mid-fork when listed), until `timeoutMs`.
 */
export async function killByFreezing(
  cgroup: Killable,
  options: { timeoutMs: number; canFreeze: boolean; logger: Logger },
): Promise<void> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    if ((await cgroup.listPids(true)).length === 0) return;
    if (options.canFreeze) {
      try {
        await cgroup.freeze();
      } catch (error) {
        // A subtree that will not freeze (a task stuck in the kernel) is still killed.
        options.logger.warn('cgroup did not freeze before kill', { path: cgroup.path, error });
      }
    }
    const pids = await cgroup.listPids(true);
    for (const pid of pids) sigkill(pid);
    if (options.canFreeze) await cgroup.thaw();
    const remainingMs = deadline - performance.now();
    try {
      await waitUntil(async () => (await cgroup.listPids(true)).length === 0, {
        timeoutMs: Math.max(0, Math.min(remainingMs, 250)),
        what: `cgroup ${cgroup.path} is empty`,
      });
      return;
    } catch (error) {
      if (performance.now() < deadline) continue;
      const left = await cgroup.listPids(true);
      throw new KolejkaError(
        'KOLEJKA_TIMEOUT',
        `processes ${left.join(', ')} of cgroup ${cgroup.path} survived SIGKILL for ${options.timeoutMs} ms`,
        { cause: error },
      );
    }
  }
}
