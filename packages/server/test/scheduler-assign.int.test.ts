import { describe, expect, it } from 'vitest';
import { parseMemory } from '@kolejka/spec';
import { api } from './support/http-client.js';
import { sleep, submit, until, useSchedulerServer } from './support/scheduler-fixtures.js';

/** Assignment by the push scheduler: latency, capacity, tags, exclusivity, fairness. */
const fx = useSchedulerServer({
  settings: { leaseMs: 5000, leaseSweepIntervalMs: 200 },
  idPrefix: 'sim',
});
const { alice, foreman } = fx;

describe('the push scheduler', () => {
  it('assigns a task to an idle foreman within 20 ms of the submission', async () => {
    const sim = await foreman({ mode: 'hold' });
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const submittedAt = performance.now();
      const key = await submit(fx.server.url, alice());
      await sim.next((m) => m.type === 'task:assign' && m.key === key, 2000);
      const assignment = sim.assignments.find((a) => a.key === key);
      // From just before the POST to the assignment's arrival: includes the HTTP round trip.
      latencies.push((assignment?.at ?? Infinity) - submittedAt);
      sim.running.clear();
      await fx.server.store.cancelTask(key, 'done measuring', new Date());
    }
    latencies.sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)] ?? Infinity;
    expect(median).toBeLessThan(20);
    expect(latencies[latencies.length - 2]).toBeLessThan(50);
  });

  it('sends the task spec and the effective limits (task ∩ foreman)', async () => {
    const sim = await foreman({ mode: 'hold', capacity: { cpus: 2, memory: '1G', time: '30s' } });
    const key = await submit(fx.server.url, alice(), { limits: { cpus: 1, memory: '64M' } });
    const assign = await sim.next((m) => m.type === 'task:assign' && m.key === key);
    expect(assign).toMatchObject({
      type: 'task:assign',
      attempt: 1,
      task: { id: key, image: 'kolejka-test/busybox:latest', args: ['true'] },
      limits: { cpus: 1, memory: '67108864b', time: '30.0s' },
    });
    await until(
      async () => (await fx.server.store.getTask(key))?.state === 'running',
      2000,
      'running',
    );
    expect(await fx.server.store.getTask(key)).toMatchObject({
      assignee: sim.options.id,
      attempt: 1,
    });
  });

  it('never assigns more memory or cpus than a foreman advertises (random sizes)', async () => {
    const sims = await Promise.all([
      foreman({ mode: 'complete', runMs: 15, capacity: { cpus: 4, memory: '1G' } }),
      foreman({ mode: 'complete', runMs: 5, capacity: { cpus: 2, memory: '512M' } }),
    ]);
    // Track what each foreman holds at every assignment.
    const peaks = sims.map(() => ({ cpus: 0, memory: 0 }));
    const holding = sims.map(() => new Map<string, { cpus: number; memory: number }>());
    sims.forEach((sim, i) => {
      sim.ws?.on('message', (data) => {
        const message = JSON.parse((data as Buffer).toString()) as {
          type: string;
          key: string;
          limits?: { cpus: number; memory: string };
        };
        const held = holding[i]!;
        if (message.type === 'task:assign' && message.limits !== undefined) {
          held.set(message.key, {
            cpus: message.limits.cpus,
            memory: parseMemory(message.limits.memory),
          });
          const cpus = [...held.values()].reduce((sum, x) => sum + x.cpus, 0);
          const memory = [...held.values()].reduce((sum, x) => sum + x.memory, 0);
          peaks[i] = {
            cpus: Math.max(peaks[i]!.cpus, cpus),
            memory: Math.max(peaks[i]!.memory, memory),
          };
        }
      });
      const complete = sim.complete.bind(sim);
      sim.complete = async (key, attempt) => {
        holding[i]!.delete(key); // freed before task:finished reaches the server
        await complete(key, attempt);
      };
    });
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const keys: string[] = [];
    for (let i = 0; i < 60; i++) {
      const cpus = 1 + Math.floor(random() * 2);
      const memoryMb = 32 * (1 + Math.floor(random() * 12));
      keys.push(await submit(fx.server.url, alice(), { limits: { cpus, memory: `${memoryMb}M` } }));
    }
    await until(
      async () =>
        (await fx.server.store.countTasksByState()).finished >= keys.length &&
        keys.every((key) => sims.some((sim) => sim.completed.includes(key))),
      20_000,
      'every task finished',
    );
    expect(peaks[0]!.cpus).toBeLessThanOrEqual(4);
    expect(peaks[0]!.memory).toBeLessThanOrEqual(parseMemory('1G'));
    expect(peaks[1]!.cpus).toBeLessThanOrEqual(2);
    expect(peaks[1]!.memory).toBeLessThanOrEqual(parseMemory('512M'));
    // Both were used, and more than one task at a time somewhere.
    expect(sims.every((sim) => sim.assignments.length > 0)).toBe(true);
    expect(Math.max(peaks[0]!.cpus, peaks[1]!.cpus)).toBeGreaterThan(1);
  });

  it('sends tasks only to foremen with the required tags', async () => {
    const plain = await foreman({ mode: 'hold', tags: ['cpu:amd'] });
    const gpu = await foreman({ mode: 'hold', tags: ['cpu:amd', 'gpu:nvidia'] });
    const keys = [];
    for (let i = 0; i < 4; i++)
      keys.push(await submit(fx.server.url, alice(), { requires: ['gpu:nvidia'] }));
    await until(() => gpu.assignments.length === 4, 3000, 'four assignments');
    expect(plain.assignments).toEqual([]);
    expect(gpu.assignments.map((a) => a.key).sort()).toEqual(keys.sort());
  });

  it('gives an exclusive task only to an idle foreman, and nothing joins it', async () => {
    const sim = await foreman({ mode: 'hold', capacity: { cpus: 8, memory: '8G' } });
    const first = await submit(fx.server.url, alice());
    await sim.next((m) => m.type === 'task:assign' && m.key === first);
    const exclusive = await submit(fx.server.url, alice(), { exclusive: true });
    await sleep(100);
    expect(sim.assignments.map((a) => a.key)).toEqual([first]);
    // The first one ends: the exclusive task gets the idle foreman, and a later task waits.
    await sim.complete(first, 1);
    await sim.next((m) => m.type === 'task:assign' && m.key === exclusive);
    const later = await submit(fx.server.url, alice());
    await sleep(100);
    expect(sim.assignments.map((a) => a.key)).toEqual([first, exclusive]);
    await sim.complete(exclusive, 1);
    await sim.next((m) => m.type === 'task:assign' && m.key === later);
  });

  it('does not let a task that does not fit now block the ones behind it', async () => {
    const sim = await foreman({ mode: 'hold', capacity: { cpus: 4, memory: '1G' } });
    const filler = await submit(fx.server.url, alice(), { limits: { cpus: 3, memory: '64M' } });
    await sim.next((m) => m.type === 'task:assign' && m.key === filler);
    const big = await submit(fx.server.url, alice(), {
      limits: { cpus: 2, memory: '64M' },
      priority: 5,
    });
    const small = await submit(fx.server.url, alice(), { limits: { cpus: 1, memory: '64M' } });
    await sim.next((m) => m.type === 'task:assign' && m.key === small);
    expect(sim.assignments.some((a) => a.key === big)).toBe(false);
    await sim.complete(filler, 1);
    await sim.next((m) => m.type === 'task:assign' && m.key === big);
  });

  it('runs higher priority first, then older first', async () => {
    const keys = {
      low: await submit(fx.server.url, alice(), { priority: -1 }),
      old: await submit(fx.server.url, alice()),
      young: await submit(fx.server.url, alice()),
      high: await submit(fx.server.url, alice(), { priority: 10 }),
    };
    const sim = await foreman({ mode: 'hold', capacity: { cpus: 1, memory: '1G' } });
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      await until(() => sim.assignments.length > i, 3000, 'the next assignment');
      const assignment = sim.assignments[i]!;
      order.push(assignment.key);
      await sim.complete(assignment.key, assignment.attempt);
    }
    expect(order).toEqual([keys.high, keys.old, keys.young, keys.low]);
  });

  it('reports tasks that no connected foreman can ever run, and clears that when one comes', async () => {
    await foreman({ mode: 'hold', tags: ['small'], capacity: { cpus: 2, memory: '1G' } });
    const key = await submit(fx.server.url, alice(), { limits: { cpus: 16, memory: '64M' } });
    await until(
      async () => (await fx.server.store.getTask(key))?.reason !== undefined,
      3000,
      'a reason',
    );
    const listed = await api(fx.server.url, `/api/v1/tasks/${key}`, { token: alice() });
    expect(listed.json).toMatchObject({
      state: 'queued',
      reason: expect.stringMatching(/no connected foreman can ever run it.*cpus 16.*2 in all/),
    });
    const big = await foreman({ mode: 'hold', capacity: { cpus: 32, memory: '1G' } });
    await big.next((m) => m.type === 'task:assign' && m.key === key);
    expect((await fx.server.store.getTask(key))?.reason).toBeUndefined();
  });
});
