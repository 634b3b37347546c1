import { describe, expect, it } from 'vitest';
import { percentile, queueWaitOf, throughputOf } from '../src/overview/task-figures.js';

describe('the overview figures', () => {
  it('takes nearest-rank percentiles, null without samples', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.95)).toBe(7);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.95)).toBe(95);
    expect(queueWaitOf({ waitsMs: [10, 20, 30], ended: [] })).toEqual({
      windowSeconds: 3600,
      samples: 3,
      p50Ms: 20,
      p95Ms: 30,
    });
  });

  it('counts ends by state and by minute, oldest first, keeping stray minutes in range', () => {
    const throughput = throughputOf({
      waitsMs: [],
      ended: [
        { minute: 0, state: 'finished', count: 2 },
        { minute: 59, state: 'failed', count: 1 },
        { minute: 59, state: 'finished', count: 3 },
        // Ended "after now" on a server whose clock runs ahead: the last minute.
        { minute: 60, state: 'cancelled', count: 1 },
      ],
    });
    expect(throughput).toMatchObject({ windowSeconds: 3600, finished: 5, failed: 1, cancelled: 1 });
    expect(throughput.perMinute).toHaveLength(60);
    expect(throughput.perMinute[0]).toBe(2);
    expect(throughput.perMinute[59]).toBe(5);
    expect(throughput.perMinute.slice(1, 59).every((n) => n === 0)).toBe(true);
  });
});
