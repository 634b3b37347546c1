import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../src/backoff.js';

describe('backoffDelayMs', () => {
  const policy = { baseMs: 100, maxMs: 1000 };

  it('doubles the window per round up to the maximum', () => {
    expect([0, 1, 2, 3, 4, 10].map((round) => backoffDelayMs(policy, round, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('draws the pause uniformly over the whole window (full jitter), in whole ms', () => {
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(0);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(400);
    expect(backoffDelayMs(policy, 0, () => 0.333)).toBe(33);
    for (let i = 0; i < 200; i++) {
      const pause = backoffDelayMs(policy, 2);
      expect(pause).toBeGreaterThanOrEqual(0);
      expect(pause).toBeLessThanOrEqual(400);
    }
  });

  it('keeps a floor so that a retry loop cannot spin', () => {
    expect(backoffDelayMs({ ...policy, minMs: 200 }, 0, () => 0)).toBe(200);
    expect(backoffDelayMs({ ...policy, minMs: 200 }, 3, () => 0.5)).toBe(400);
  });

  it('treats a negative round as the first', () => {
    expect(backoffDelayMs(policy, -3, () => 1)).toBe(100);
  });
});
