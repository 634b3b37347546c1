import { beforeAll, describe, expect, it } from 'vitest';
import {
  RESULTS_IN_FINISHED_PROTOCOL,
  RESULT_ACK_PROTOCOL,
  type ProtocolError,
  type ServerMessage,
} from '@kolejka/spec';
import { api } from './support/http-client.js';
import type { SimForeman } from './support/sim-foreman.js';
import { submit, until, useSchedulerServer } from './support/scheduler-fixtures.js';

/** Results carried by task:finished (protocol 2): stored as the HTTP PUT stores them. */
const fx = useSchedulerServer({
  settings: { leaseMs: 5000, leaseSweepIntervalMs: 100 },
  idPrefix: 'push',
  foremanDefaults: { mode: 'hold', capacity: { cpus: 1, memory: '1G' } },
  // These tests time the scheduler (1,000 tasks in 30 s), not the disk: with an fsync per
  // commit (the default) this machine's disk alone takes them past 30 s.
  sqliteSynchronous: 'normal',
});
const { alice, foreman } = fx;

beforeAll(async () => {
  await fx.server.addUser('stranger', ['processor']);
});
const isError = (m: ServerMessage): m is ProtocolError => m.type === 'error';

/** Submits a task and waits until `sim` holds it (assigned, accepted, started); returns key and attempt. */
async function heldBy(sim: SimForeman): Promise<{ key: string; attempt: number }> {
  const key = await submit(fx.server.url, alice());
  const assign = await sim.next((m) => m.type === 'task:assign' && m.key === key, 3000);
  const attempt = (assign as { attempt: number }).attempt;
  await until(
    async () => (await fx.server.store.getTask(key))?.state === 'running',
    3000,
    'running',
  );
  return { key, attempt };
}

/**
 * The errors the server sent about `key`, once a marker sent after the messages under test is
 * answered (messages of a connection are handled in order): so "no error" is not "not yet".
 */
async function errorsAbout(sim: SimForeman, key: string): Promise<ProtocolError[]> {
  const markers = (): number => sim.messages.filter(isMarker).length;
  const before = markers();
  sim.sendRaw({ type: 'task:accepted', key: 'marker', attempt: 1 });
  await until(() => markers() > before, 3000, 'the marker answered');
  return sim.messages
    .filter(isError)
    .filter((m) => (m.details as { key?: string } | undefined)?.key === key);
}
/** The refusal of the marker: its key is not a task key. */
const isMarker = (m: ServerMessage): boolean =>
  isError(m) &&
  (m.details as { issues?: { path: string }[] } | undefined)?.issues?.some(
    (issue) => issue.path === '/key',
  ) === true;

describe('results in task:finished', () => {
  it('negotiates protocol 2 and stores the result as the PUT does, freeing the capacity', async () => {
    const sim = await foreman({ protocols: [1, RESULTS_IN_FINISHED_PROTOCOL] });
    expect(sim.welcome?.protocol).toBe(RESULTS_IN_FINISHED_PROTOCOL);
    const { key, attempt } = await heldBy(sim);
    sim.running.delete(key);
    sim.pushResult(key, attempt, { id: key, result: 3, stats: { time: '1.5s' } });
    await until(
      async () => (await fx.server.store.getTask(key))?.state === 'finished',
      3000,
      'finished',
    );
    const result = await fx.server.store.getResult(key);
    expect(result).toMatchObject({ attempt, poster: 'foreman' });
    expect(result?.spec).toMatchObject({ id: key, result: 3 });
    // The owner reads it as any result.
    const read = await api(fx.server.url, `/api/v1/tasks/${key}/result`, { token: alice() });
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ attempt, spec: { result: 3 } });
    // Its one CPU is free again: the next task comes to it.
    const next = await heldBy(sim);
    expect(next.attempt).toBe(1);
    // An identical resend (after a reconnect, say) is accepted silently.
    sim.pushResult(key, attempt, { id: key, result: 3, stats: { time: '1.5s' } });
    expect(await errorsAbout(sim, key)).toEqual([]);
  });

  it('acknowledges a stored result with result:stored from protocol 3 on, never before', async () => {
    const sim = await foreman();
    expect(sim.welcome?.protocol).toBe(RESULT_ACK_PROTOCOL);
    const { key, attempt } = await heldBy(sim);
    sim.running.delete(key);
    sim.pushResult(key, attempt, { id: key, result: 0 });
    await sim.next(
      (m) => m.type === 'result:stored' && m.key === key && m.attempt === attempt,
      3000,
    );
    expect((await fx.server.store.getTask(key))?.state).toBe('finished');
    await sim.close(); // the next task must go to the protocol 2 foreman

    const old = await foreman({ protocols: [1, RESULTS_IN_FINISHED_PROTOCOL] });
    const held = await heldBy(old);
    old.running.delete(held.key);
    old.pushResult(held.key, held.attempt, { id: held.key, result: 0 });
    await until(
      async () => (await fx.server.store.getTask(held.key))?.state === 'finished',
      3000,
      'finished',
    );
    expect(old.messages.filter((m) => m.type === 'result:stored')).toEqual([]);
  });

  it('refuses a different second result and a stale attempt with an error naming the task', async () => {
    const sim = await foreman();
    const { key, attempt } = await heldBy(sim);
    sim.pushResult(key, attempt);
    await until(
      async () => (await fx.server.store.getTask(key))?.state === 'finished',
      3000,
      'finished',
    );
    sim.pushResult(key, attempt, { id: key, result: 1 });
    sim.pushResult(key, attempt + 6);
    const errors = await errorsAbout(sim, key);
    expect(errors).toEqual([
      expect.objectContaining({
        code: 'KOLEJKA_CONFLICT',
        message: expect.stringMatching(/already has a different result/),
        details: expect.objectContaining({ key, attempt }),
      }),
      expect.objectContaining({
        code: 'KOLEJKA_CONFLICT',
        message: expect.stringMatching(/Attempt 7 .* is not current/),
        details: expect.objectContaining({ key, attempt: attempt + 6 }),
      }),
    ]);
    expect((await fx.server.store.getResult(key))?.spec.result).toBe(0);
  });

  it('names the JSON path of a bad result; the task keeps running and the PUT still works', async () => {
    const sim = await foreman();
    const { key, attempt } = await heldBy(sim);
    sim.pushResult(key, attempt, { result: 'seven', limits: { memory: '1Q' } });
    const [refusal] = await errorsAbout(sim, key);
    expect(refusal).toMatchObject({ code: 'KOLEJKA_VALIDATION', details: { key, attempt } });
    const paths = (refusal?.details as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths.sort()).toEqual(['/result/limits/memory', '/result/result']);
    expect((await fx.server.store.getTask(key))?.state).toBe('running');
    expect(await sim.putResult(key, attempt)).toBe(201);
  });

  it("refuses a result for another processor's assignment", async () => {
    const owner = await foreman();
    const { key, attempt } = await heldBy(owner);
    const stranger = await foreman({ token: fx.server.users.stranger?.token ?? '' });
    stranger.pushResult(key, attempt);
    const [refusal] = await errorsAbout(stranger, key);
    expect(refusal).toMatchObject({
      code: 'KOLEJKA_FORBIDDEN',
      message: expect.stringMatching(/not assigned to "stranger"/),
      details: { key, attempt },
    });
    expect((await fx.server.store.getTask(key))?.state).toBe('running');
  });

  it('completes 1000 tasks over 10 foremen, each exactly once', async () => {
    const sims = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        foreman({
          mode: 'complete',
          results: 'push',
          id: `push-bulk-${i}`,
          capacity: { cpus: 4, memory: '4G' },
        }),
      ),
    );
    const keys: string[] = [];
    for (let chunk = 0; chunk < 20; chunk++)
      keys.push(
        ...(await Promise.all(Array.from({ length: 50 }, () => submit(fx.server.url, alice())))),
      );
    const isDone = async (): Promise<boolean> => {
      const page = await fx.server.store.listTasks({ states: ['finished'] }, 10_000);
      const done = new Set(page.items.map((task) => task.key));
      return keys.every((key) => done.has(key));
    };
    await until(isDone, 30_000, 'all finished');
    const assignments = sims.flatMap((sim) => sim.assignments);
    expect(assignments.map((a) => a.key).sort()).toEqual([...keys].sort());
    expect(assignments.every((a) => a.attempt === 1)).toBe(true);
    expect(sims.filter((sim) => sim.completed.length > 0).length).toBeGreaterThan(1);
    for (const sim of sims) expect(sim.messages.filter(isError)).toEqual([]);
    // Every transition has its event: queued, assigned, running, finished — once each.
    const events = await fx.server.store.readEvents(0, 10_000);
    const wanted = new Set(keys);
    const states = new Map<string, string[]>();
    for (const event of events)
      if (wanted.has(event.taskKey))
        states.set(event.taskKey, [...(states.get(event.taskKey) ?? []), event.state]);
    for (const key of keys)
      expect(states.get(key)).toEqual(['queued', 'assigned', 'running', 'finished']);
  });
});
