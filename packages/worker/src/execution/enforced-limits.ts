import type { Limits } from '@kolejka/spec';

/** What the host could enforce of a task's limits. */
export interface Enforcement {
  /** `storage` needs overlay2 on xfs with pquota (the host check or Docker's refusal said no). */
  isStorageLimited: boolean;
  /** The kernel accounts swap for the task's cgroup (see TaskCgroupFigures.isSwapLimitable). */
  isSwapLimitable: boolean;
  /** The worker mounted the workspace tmpfs (it needs root). */
  isWorkspaceLimited: boolean;
}

/**
 * The limits the task really ran under, and those it asked for that were not enforced.
 * A `memory` limit limits swap too (to `swap`, 0 when absent: Docker's MemorySwap is memory
 * plus swap), so without swap accounting `swap` is unenforced even when the task gave none.
 */
export function enforcedLimits(
  limits: Limits,
  { isStorageLimited, isSwapLimitable, isWorkspaceLimited }: Enforcement,
): { limits: Limits; unenforced: string[] } {
  const enforced = { ...limits };
  const unenforced: string[] = [];
  if (limits.storage !== undefined && !isStorageLimited) {
    delete enforced.storage;
    unenforced.push('storage');
  }
  if (limits.memory !== undefined && !isSwapLimitable) {
    delete enforced.swap;
    unenforced.push('swap');
  }
  if (limits.workspace !== undefined && !isWorkspaceLimited) {
    delete enforced.workspace;
    unenforced.push('workspace');
  }
  return { limits: enforced, unenforced };
}
