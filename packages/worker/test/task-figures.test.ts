import { describe, expect, it } from 'vitest';
import { emptyStats, type Stats } from '@kolejka/spec';
import { taskFigures } from '../src/container/task-figures.js';

const MiB = 1024 * 1024;
const stats = (memory: Stats['memory'], pids: Stats['pids']): Stats => ({
  ...emptyStats(),
  memory,
  pids,
});

describe("taskFigures: the task's own figures, never above its limits", () => {
  it("bounds the parent's memory peak (its bookkeeping included) by the task's limit", () => {
    const container = stats({ max_usage: 200 * MiB }, {});
    const parent = stats({ max_usage: 268447744 }, {});
    const figures = taskFigures(container, parent, { memoryBytes: 256 * MiB });
    expect(figures.memory.max_usage).toBe(268435456);
    // Without a limit, or within it, the figure is the larger reading.
    expect(taskFigures(container, parent, {}).memory.max_usage).toBe(268447744);
    expect(
      taskFigures(container, stats({ max_usage: 210 * MiB }, {}), { memoryBytes: 256 * MiB }).memory
        .max_usage,
    ).toBe(210 * MiB);
  });

  it('keeps failures read from the container; at least one when the peak reached the limit', () => {
    const parentAtLimit = stats({}, { max_usage: 64 });
    expect(taskFigures(stats({}, { failures: 7 }), parentAtLimit, { pids: 64 }).pids).toEqual({
      max_usage: 64,
      failures: 7,
    });
    expect(taskFigures(stats({}, {}), parentAtLimit, { pids: 64 }).pids.failures).toBe(1);
    expect(
      taskFigures(stats({}, {}), stats({}, { max_usage: 10 }), { pids: 64 }).pids.failures,
    ).toBeUndefined();
  });
});
