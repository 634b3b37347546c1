import { describe, expect, it } from 'vitest';
import { enforcedLimits } from '../src/execution/enforced-limits.js';

const MiB = 1024 * 1024;
const enforced = { isStorageLimited: true, isSwapLimitable: true, isWorkspaceLimited: true };

describe('the limits a result says the task ran under', () => {
  it('are those asked for when the host enforces them all', () => {
    const limits = { memory: 64 * MiB, swap: 0, storage: 100 * MiB };
    expect(enforcedLimits(limits, enforced)).toEqual({ limits, unenforced: [] });
  });

  it('leave out storage without pquota, and swap without swap accounting', () => {
    const limits = { memory: 64 * MiB, swap: 16 * MiB, storage: 100 * MiB, pids: 8 };
    expect(
      enforcedLimits(limits, { ...enforced, isStorageLimited: false, isSwapLimitable: false }),
    ).toEqual({
      limits: { memory: 64 * MiB, pids: 8 },
      unenforced: ['storage', 'swap'],
    });
  });

  it('name swap unenforced for a memory limit alone (it means swap 0), not without one', () => {
    const noSwap = { ...enforced, isSwapLimitable: false };
    expect(enforcedLimits({ memory: 64 * MiB }, noSwap)).toEqual({
      limits: { memory: 64 * MiB },
      unenforced: ['swap'],
    });
    expect(enforcedLimits({ pids: 8 }, noSwap)).toEqual({ limits: { pids: 8 }, unenforced: [] });
  });

  it('leave out a workspace the worker could not mount', () => {
    const limits = { memory: 64 * MiB, workspace: 16 * MiB };
    expect(enforcedLimits(limits, { ...enforced, isWorkspaceLimited: false })).toEqual({
      limits: { memory: 64 * MiB },
      unenforced: ['workspace'],
    });
    expect(enforcedLimits({ pids: 8 }, { ...enforced, isWorkspaceLimited: false })).toEqual({
      limits: { pids: 8 },
      unenforced: [],
    });
  });
});
