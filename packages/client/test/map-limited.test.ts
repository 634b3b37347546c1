import { describe, expect, it } from 'vitest';
import { mapLimited } from '../src/files/map-limited.js';

describe('mapLimited', () => {
  it('maps with a concurrency limit and waits for started work before rejecting', async () => {
    let active = 0;
    let peak = 0;
    const finished: number[] = [];
    const work = async (item: number): Promise<number> => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active--;
      if (item === 2) throw new Error('two');
      finished.push(item);
      return item * 10;
    };
    expect(await mapLimited([0, 1, 3, 4, 5], 2, work)).toEqual([0, 10, 30, 40, 50]);
    expect(peak).toBe(2);
    await expect(mapLimited([0, 1, 2, 3, 4, 5, 6], 2, work)).rejects.toThrow('two');
    expect(active).toBe(0);
  });
});
