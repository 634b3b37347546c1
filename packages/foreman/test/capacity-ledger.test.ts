import { describe, expect, it } from 'vitest';
import { CapacityLedger } from '../src/capacity-ledger.js';
import { IndexSlots } from '../src/index-slots.js';

const GiB = 1024 ** 3;
const task = (
  limits: Record<string, number>,
  extra: { requires?: string[]; exclusive?: boolean } = {},
) => ({
  requires: extra.requires ?? [],
  limits,
  ...(extra.exclusive === undefined ? {} : { exclusive: extra.exclusive }),
});

describe('IndexSlots', () => {
  it('finds consecutive free runs, best fit, wrapping around the end', () => {
    const slots = new IndexSlots(8);
    expect(slots.take(slots.find(3) ?? -1, 3)).toEqual([0, 1, 2]);
    expect(slots.take(slots.find(2) ?? -1, 2)).toEqual([3, 4]);
    slots.release([0, 1, 2]);
    // Free runs: 5-7 (3) and 0-2 (3) joined across the end into 5..2 (6): a 4-run wraps.
    expect(slots.find(4)).toBe(5);
    expect(slots.indexes(5, 4)).toEqual([5, 6, 7, 0]);
    slots.take(5, 4);
    // Left: 1-2. Best fit for one CPU is inside it, not a fresh run.
    expect(slots.find(1)).toBe(1);
    expect(slots.find(3)).toBeUndefined();
    expect(slots.freeCount).toBe(2);
  });

  it('prefers the smallest run that fits', () => {
    const slots = new IndexSlots(6);
    slots.take(2, 1); // free: 0-1 (2), 3-5 (3)
    expect(slots.find(2)).toBe(0);
    expect(slots.find(3)).toBe(3);
    expect(() => slots.take(2, 1)).toThrow(/already taken/);
  });
});

describe('CapacityLedger', () => {
  const capacity = { cpus: 4, memory: 8 * GiB, gpus: 2, gpu_memory: 16 * GiB };

  it('gives concurrent tasks disjoint consecutive cpusets and GPUs, and takes their budgets', () => {
    const ledger = new CapacityLedger(capacity, ['a']);
    const one = ledger.reserve('t1.1', task({ cpus: 2, memory: 3 * GiB }));
    const two = ledger.reserve('t2.1', task({ cpus: 1, memory: 3 * GiB, gpus: 1 }));
    expect(one).toMatchObject({
      fits: true,
      reservation: { cpuIndexes: [0, 1], limits: { cpus: 2, cpus_offset: 0 } },
    });
    expect(two).toMatchObject({
      fits: true,
      reservation: {
        cpuIndexes: [2],
        gpuIndexes: [0],
        limits: { cpus_offset: 2, gpus: 1, gpus_offset: 0 },
      },
    });
    // Memory: 2 GiB left.
    const three = ledger.reserve('t3.1', task({ cpus: 1, memory: 3 * GiB }));
    expect(three).toEqual({
      fits: false,
      reason: 'task needs memory 3221225472b, 2147483648b is free',
    });
    ledger.release('t1.1');
    ledger.release('t1.1');
    expect(ledger.reserve('t3.1', task({ cpus: 2, memory: 3 * GiB }))).toMatchObject({
      fits: true,
      reservation: { cpuIndexes: [0, 1] },
    });
    expect(ledger.freeNow).toMatchObject({ cpus: 1, memory: 2 * GiB });
  });

  it('gives a task without a limit the foreman’s value (all CPUs, all memory)', () => {
    const ledger = new CapacityLedger({ cpus: 2, memory: GiB }, []);
    const whole = ledger.reserve('w.1', task({}));
    expect(whole).toMatchObject({
      fits: true,
      reservation: { limits: { cpus: 2, memory: GiB, cpus_offset: 0 } },
    });
    expect(ledger.reserve('x.1', task({ cpus: 1 }))).toMatchObject({ fits: false });
  });

  it('refuses what does not match: tags, caps, totals, exclusivity, concurrency, fragmentation', () => {
    const ledger = new CapacityLedger({ cpus: 3, memory: 4 * GiB, time: 60 }, ['zone:a'], 2);
    expect(ledger.reserve('a.1', task({}, { requires: ['zone:b'] }))).toEqual({
      fits: false,
      reason: 'foreman lacks the required tags "zone:b"',
    });
    expect(ledger.reserve('a.1', task({ time: 120 }))).toMatchObject({
      fits: false,
      reason: expect.stringContaining('time'),
    });
    expect(ledger.reserve('a.1', task({ cpus: 8 }))).toMatchObject({
      fits: false,
      reason: expect.stringContaining('in all'),
    });
    expect(ledger.reserve('b.1', task({ cpus: 1, memory: GiB }))).toMatchObject({ fits: true });
    expect(
      ledger.reserve('c.1', task({ cpus: 1, memory: GiB }, { exclusive: true })),
    ).toMatchObject({
      fits: false,
      reason: 'exclusive task waits for an idle foreman',
    });
    expect(ledger.reserve('d.1', task({ cpus: 1, memory: GiB }))).toMatchObject({ fits: true });
    expect(ledger.reserve('e.1', task({ cpus: 1, memory: GiB }))).toEqual({
      fits: false,
      reason: 'the foreman runs 2 tasks, its concurrency limit',
    });
    ledger.release('b.1'); // CPU 0 free, CPU 2 free, CPU 1 busy: two free but not adjacent… except by wrapping.
    expect(ledger.reserve('f.1', task({ cpus: 2, memory: GiB }))).toMatchObject({
      fits: true,
      reservation: { cpuIndexes: [2, 0] },
    });
  });

  it('reports fragmented CPUs when no adjacent run is free', () => {
    const ledger = new CapacityLedger({ cpus: 4 }, []);
    for (const key of ['a', 'b', 'c', 'd']) ledger.reserve(key, task({ cpus: 1 }));
    ledger.release('a');
    ledger.release('c');
    expect(ledger.reserve('x', task({ cpus: 2 }))).toEqual({
      fits: false,
      reason: 'no 2 adjacent free CPUs (free: 2 of 4, fragmented)',
    });
  });

  it('lets nothing join an exclusive task', () => {
    const ledger = new CapacityLedger({ cpus: 4 }, []);
    expect(ledger.reserve('x', task({ cpus: 1 }, { exclusive: true }))).toMatchObject({
      fits: true,
    });
    expect(ledger.reserve('y', task({ cpus: 1 }))).toEqual({
      fits: false,
      reason: 'foreman runs an exclusive task',
    });
    expect(ledger.offer().isRunningExclusive).toBe(true);
  });
});
