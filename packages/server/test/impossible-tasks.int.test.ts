import { describe, expect, it } from 'vitest';
import { api } from './support/http-client.js';
import { MAX_REJECTIONS } from '../src/scheduling/rejection-backoff.js';
import type { SimForeman } from './support/sim-foreman.js';
import { submit, until, useSchedulerServer } from './support/scheduler-fixtures.js';

/** Tasks no foreman can start: refused at submission, or failed after bounded rejections. */
const fx = useSchedulerServer({
  settings: { leaseMs: 5000, leaseSweepIntervalMs: 50, heartbeatIntervalMs: 500 },
  idPrefix: 'impossible',
});
const { alice, foreman } = fx;

/** Rejects every assignment (one task at a time), with `isTransient` as given; counts them. */
function rejectAll(sim: SimForeman, isTransient: boolean): { count: () => number } {
  let count = 0;
  let lastAttempt = 0;
  sim.mode = 'ignore';
  void (async () => {
    for (;;) {
      const assign = await sim
        .next((m) => m.type === 'task:assign' && m.attempt > lastAttempt, 60_000)
        .catch(() => undefined);
      if (assign?.type !== 'task:assign') return;
      count += 1;
      lastAttempt = assign.attempt;
      sim.sendRaw({
        type: 'task:rejected',
        key: assign.key,
        attempt: assign.attempt,
        reason: 'docker: could not select device driver "nvidia"',
        ...(isTransient ? { isTransient: true } : {}),
      });
    }
  })();
  return { count: () => count };
}

describe('a task that can never start', () => {
  it('is refused at submission when Docker could never take its memory limit', async () => {
    const response = await api(fx.server.url, '/api/v1/tasks', {
      token: alice(),
      json: {
        task: {
          image: 'kolejka-test/busybox:latest',
          args: ['true'],
          limits: { memory: '1b' },
        },
      },
    });
    expect(response.status).toBe(400);
    const body = response.json as { error: { code: string; details?: unknown } };
    expect(body.error.code).toBe('KOLEJKA_VALIDATION');
    expect(JSON.stringify(body.error)).toContain('/limits/memory');
  });

  it('fails with the last reason after a bounded number of rejections', async () => {
    const sim = await foreman({ mode: 'ignore', id: 'no-nvidia' });
    const rejections = rejectAll(sim, false);
    const key = await submit(fx.server.url, alice());
    await until(
      async () => (await fx.server.store.getTask(key))?.state === 'failed',
      20_000,
      'the task to fail',
    );
    const task = await fx.server.store.getTask(key);
    expect(task?.reason).toMatch(
      new RegExp(`rejected ${MAX_REJECTIONS} times .*could not select device driver`),
    );
    expect(rejections.count()).toBe(MAX_REJECTIONS);
  }, 30_000);

  it('does not count rejections about the foreman itself', async () => {
    const sim = await foreman({ mode: 'ignore', id: 'busy' });
    const rejections = rejectAll(sim, true);
    const key = await submit(fx.server.url, alice());
    await until(
      () => rejections.count() > MAX_REJECTIONS,
      20_000,
      'more rejections than the bound',
    );
    // Never failed: between a rejection and the next offer it is queued, or already assigned.
    const task = await fx.server.store.getTask(key);
    expect(['queued', 'assigned']).toContain(task?.state);
    expect(task?.reason).toBeUndefined();
  }, 30_000);
});
