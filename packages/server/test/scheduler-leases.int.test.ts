import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/http-client.js';
import { CompatSession } from './support/compat-session.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from './support/test-server.js';
import { SimForeman } from './support/sim-foreman.js';
import { sleep, submit, until, useSchedulerServer } from './support/scheduler-fixtures.js';

/** Leases, recovery, fencing, cancel, drain, and a thousand tasks completed exactly once. */
const LEASE_MS = 600;
const fx = useSchedulerServer({
  // These tests time the scheduler (1,000 tasks in 30 s), not the disk: with an fsync per
  // commit (the default) this machine's disk alone takes them past 30 s.
  sqliteSynchronous: 'normal',
  settings: {
    leaseMs: LEASE_MS,
    leaseSweepIntervalMs: 50,
    heartbeatIntervalMs: 100,
    assignTimeoutMs: 300,
    maxAttempts: 2,
  },
  idPrefix: 'lease',
});
const { alice, foreman } = fx;
const assigned = (sim: SimForeman, key: string) =>
  sim.next((m) => m.type === 'task:assign' && m.key === key, 3000);

describe('leases', () => {
  it('reassigns the task of a killed foreman after its lease, and it completes once', async () => {
    const doomed = await foreman({ mode: 'hold' });
    const key = await submit(fx.server.url, alice());
    await assigned(doomed, key);
    const rescuer = await foreman({ mode: 'complete', id: 'rescuer' });
    const killedAt = Date.now();
    doomed.kill();
    await until(() => rescuer.completed.includes(key), 5000, 'the rescuer finished it');
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(LEASE_MS - 200);
    expect(await fx.server.store.getTask(key)).toMatchObject({
      state: 'finished',
      attempt: 2,
      lostCount: 1,
      assignee: 'rescuer',
    });
    expect(rescuer.assignments.filter((a) => a.key === key)).toHaveLength(1);
    const result = await fx.server.store.getResult(key);
    expect(result?.attempt).toBe(2);
    // The dead foreman was marked offline as soon as its connection ended.
    expect((await fx.server.store.getForeman(doomed.options.id))?.isOnline).toBe(false);
  });

  it('lets a foreman that reconnects within the lease keep its tasks', async () => {
    const sim = await foreman({ mode: 'hold', id: 'flaky' });
    const key = await submit(fx.server.url, alice());
    await assigned(sim, key);
    sim.ws?.terminate(); // the connection drops; the node keeps running the task
    await sleep(150);
    const again = new SimForeman({ ...sim.options, mode: 'hold' });
    fx.track(again);
    again.running.set(key, 1);
    const stale = 'f'.repeat(32);
    again.running.set(stale, 3);
    const welcome = await again.connect();
    expect(welcome.kept).toEqual([{ key, attempt: 1 }]);
    expect(welcome.dropped).toEqual([{ key: stale, attempt: 3 }]);
    await sleep(LEASE_MS + 200); // heartbeats renew the lease
    expect(await fx.server.store.getTask(key)).toMatchObject({
      state: 'running',
      attempt: 1,
      lostCount: 0,
    });
    expect(await again.putResult(key, 1)).toBe(201);
  });

  it('fails a task after maxAttempts lost leases, saying why', async () => {
    const key = await submit(fx.server.url, alice());
    for (let i = 0; i < 2; i++) {
      const sim = await foreman({ mode: 'hold', id: `loser-${i}` });
      await assigned(sim, key);
      sim.kill();
      await until(
        async () => (await fx.server.store.getTask(key))?.lostCount === i + 1,
        3000,
        `loss ${i + 1}`,
      );
    }
    const task = await fx.server.store.getTask(key);
    expect(task).toMatchObject({ state: 'failed', lostCount: 2 });
    expect(task?.reason).toMatch(/^lost 2 times: foreman loser-1 stopped answering/);
  });

  it('refuses the result of a lost attempt with 409 and tells the old foreman to stop', async () => {
    const slow = await foreman({ mode: 'hold', id: 'frozen' });
    const key = await submit(fx.server.url, alice());
    await assigned(slow, key);
    // Drained (so the task is not simply offered to it again) and silent: its lease runs out.
    await api(fx.server.url, '/api/v1/foremen/frozen/drain', {
      token: fx.server.users.manager?.token ?? '',
      method: 'POST',
    });
    slow.freeze();
    const cancel = slow.next((m) => m.type === 'task:cancel' && m.key === key, 3000);
    await until(
      async () => (await fx.server.store.getTask(key))?.state === 'queued',
      3000,
      'requeued',
    );
    expect((await fx.server.store.getTask(key))?.lostCount).toBe(1);
    expect(await cancel).toMatchObject({ attempt: 1, reason: expect.stringMatching(/attempt 1/) });
    expect(await slow.putResult(key, 1)).toBe(409);
    expect(slow.refusedResults[0]?.message).toMatch(/Attempt 1 .* is not current.*refused/);
    await slow.close();
    const next = await foreman({ mode: 'hold', id: 'next' });
    const assign = await assigned(next, key);
    const attempt = (assign as { attempt: number }).attempt;
    expect(attempt).toBe(2);
    expect(await slow.putResult(key, 1)).toBe(409);
    expect(await next.putResult(key, attempt)).toBe(201);
    expect(await next.putResult(key, attempt)).toBe(200); // an identical resend is fine
    expect(await slow.putResult(key, 1)).toBe(409);
    expect(await fx.server.store.getTask(key)).toMatchObject({ state: 'finished', attempt });
  });

  it('puts an assignment nobody accepts back in the queue', async () => {
    const mute = await foreman({ mode: 'ignore', id: 'mute' });
    const key = await submit(fx.server.url, alice());
    await assigned(mute, key);
    mute.mode = 'hold';
    await mute.next((m) => m.type === 'task:cancel' && m.key === key, 2000);
    // Offered again (to the same foreman: it is the only one), as attempt 2.
    await mute.next((m) => m.type === 'task:assign' && m.key === key && m.attempt === 2, 3000);
  });

  it('requeues a rejected task, and another foreman gets it', async () => {
    const picky = await foreman({ mode: 'reject', id: 'picky' });
    const key = await submit(fx.server.url, alice());
    await assigned(picky, key);
    picky.mode = 'hold';
    await picky.close();
    const willing = await foreman({ mode: 'hold', id: 'willing' });
    await willing.next((m) => m.type === 'task:assign' && m.key === key, 3000);
    expect((await fx.server.store.getTask(key))?.attempt).toBe(2);
  });

  it('fails a task the foreman could not run, with its reason', async () => {
    const sim = await foreman({ mode: 'ignore', id: 'broken' });
    const key = await submit(fx.server.url, alice());
    await assigned(sim, key);
    sim.sendRaw({ type: 'task:accepted', key, attempt: 1 });
    sim.sendRaw({ type: 'task:failed', key, attempt: 1, reason: 'image pull failed' });
    await until(
      async () => (await fx.server.store.getTask(key))?.state === 'failed',
      2000,
      'failed',
    );
    expect((await fx.server.store.getTask(key))?.reason).toBe('foreman broken: image pull failed');
  });
});

describe('cancel and drain', () => {
  it('tells the foreman holding a task that it was cancelled or deleted', async () => {
    const sim = await foreman({ mode: 'hold' });
    const cancelled = await submit(fx.server.url, alice());
    const deleted = await submit(fx.server.url, alice());
    const compatDeleted = await submit(fx.server.url, alice());
    for (const key of [cancelled, deleted, compatDeleted]) await assigned(sim, key);
    const v1Cancel = await api(fx.server.url, `/api/v1/tasks/${cancelled}/cancel`, {
      token: alice(),
      method: 'POST',
    });
    expect(v1Cancel.status).toBe(200);
    expect(
      (await api(fx.server.url, `/api/v1/tasks/${deleted}`, { token: alice(), method: 'DELETE' }))
        .status,
    ).toBe(204);
    const session = new CompatSession(fx.server.url);
    await session.login('alice', TEST_PASSWORD);
    expect((await session.send('DELETE', `/task/task/${compatDeleted}/`)).status).toBe(200);
    for (const key of [cancelled, deleted, compatDeleted]) {
      const cancel = await sim.next((m) => m.type === 'task:cancel' && m.key === key, 2000);
      expect(cancel).toMatchObject({
        attempt: 1,
        reason: expect.stringMatching(/cancelled|deleted/),
      });
    }
    // Its capacity is free again: the next task comes at once.
    const next = await submit(fx.server.url, alice());
    await assigned(sim, next);
  });

  it('drains a foreman (API): no new work, running tasks finish, undrain resumes', async () => {
    const sim = await foreman({ mode: 'hold', id: 'drainee' });
    const running = await submit(fx.server.url, alice());
    await assigned(sim, running);
    const manager = fx.server.users.manager?.token ?? '';
    const drained = await api(fx.server.url, `/api/v1/foremen/drainee/drain`, {
      token: manager,
      method: 'POST',
    });
    expect(drained.status).toBe(200);
    expect(drained.json).toMatchObject({ id: 'drainee', draining: true, online: true });
    await sim.next((m) => m.type === 'foreman:drain' && m.draining);
    const waiting = await submit(fx.server.url, alice());
    await sleep(150);
    expect(sim.assignments.map((a) => a.key)).toEqual([running]);
    expect(await sim.putResult(running, 1)).toBe(201);
    const forbidden = await api(fx.server.url, `/api/v1/foremen/drainee/undrain`, {
      token: alice(),
      method: 'POST',
    });
    expect(forbidden.status).toBe(403);
    const undrained = await api(fx.server.url, `/api/v1/foremen/drainee/undrain`, {
      token: manager,
      method: 'POST',
    });
    expect(undrained.json).toMatchObject({ draining: false });
    await sim.next((m) => m.type === 'foreman:drain' && !m.draining);
    await assigned(sim, waiting);
    const unknown = await api(fx.server.url, `/api/v1/foremen/nobody/drain`, {
      token: manager,
      method: 'POST',
    });
    expect(unknown.status).toBe(404);
  });

  it('keeps a drain across reconnects and applies drains written to the store elsewhere', async () => {
    const sim = await foreman({ mode: 'hold', id: 'cli-drained' });
    // As `kolejka-server foreman drain` does from another process: only the store changes.
    await fx.server.store.updateForeman('cli-drained', { isDraining: true }, new Date());
    await sim.next((m) => m.type === 'foreman:drain' && m.draining, 2000);
    await sim.close();
    const again = await foreman({ mode: 'hold', id: 'cli-drained' });
    expect(again.welcome?.draining).toBe(true);
    const key = await submit(fx.server.url, alice());
    await sleep(150);
    expect(again.assignments).toEqual([]);
    await fx.server.store.updateForeman('cli-drained', { isDraining: false }, new Date());
    await assigned(again, key);
  });
});

describe('throughput', () => {
  // A server of its own with a lease far beyond the test: on a slow, loaded machine a lease
  // of LEASE_MS could expire legitimately under this burst, and a reassignment is not what
  // this test is about; exactly-once under load is.
  let bulk: TestServer;
  beforeAll(async () => {
    bulk = await startTestServer({ settings: { leaseMs: 60_000, heartbeatIntervalMs: 1000 } });
  });
  afterAll(async () => {
    await bulk.close();
  });

  it('completes 1000 tasks over 10 foremen, each exactly once', async () => {
    const sims = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const sim = new SimForeman({
          urls: [bulk.url],
          token: bulk.users.foreman?.token ?? '',
          id: `bulk-${i}`,
          mode: 'complete',
          capacity: { cpus: 4, memory: '4G' },
        });
        fx.track(sim);
        await sim.connect();
        return sim;
      }),
    );
    const token = bulk.users.alice?.token ?? '';
    const keys: string[] = [];
    for (let chunk = 0; chunk < 20; chunk++)
      keys.push(...(await Promise.all(Array.from({ length: 50 }, () => submit(bulk.url, token)))));
    await until(
      () => sims.reduce((sum, sim) => sum + sim.completed.length, 0) >= keys.length,
      60_000,
      'all completed',
    );
    const completed = sims.flatMap((sim) => sim.completed);
    expect(completed.sort()).toEqual([...keys].sort());
    expect(sims.flatMap((sim) => sim.refusedResults)).toEqual([]);
    const assignments = sims.flatMap((sim) => sim.assignments.map((a) => `${a.key}#${a.attempt}`));
    expect(assignments.sort()).toEqual(keys.map((key) => `${key}#1`).sort());
    expect(sims.filter((sim) => sim.completed.length > 0).length).toBeGreaterThan(1);
    const counts = await bulk.store.countTasksByState();
    expect(counts.finished).toBe(keys.length);
  });
});
