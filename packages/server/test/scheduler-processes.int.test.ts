import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTokenId, newTokenSecret, sha256Hex } from '../src/accounts/tokens.js';
import { openStorage } from '../src/blobs/open-storage.js';
import type { Role } from '../src/store/store.js';
import { spawnServer, type ServerProcess } from './support/server-process.js';
import { SimForeman } from './support/sim-foreman.js';
import { submit, until } from './support/scheduler-fixtures.js';

/**
 * Two server PROCESSES on one SQLite file: each assigns to its own foremen and learns of the
 * other's tasks from the event log; when one is killed its foremen fail over to the other.
 */
let home: string;
const tokens: Record<string, string> = {};
const servers: ServerProcess[] = [];
const foremen: SimForeman[] = [];

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-server-processes-'));
  const { store, blobs } = await openStorage({ home });
  const users: Record<string, Role[]> = { alice: ['client'], node: ['processor'] };
  for (const [username, roles] of Object.entries(users)) {
    await store.createUser({ username, roles, createdAt: new Date() });
    const token = newTokenSecret();
    await store.createToken({
      id: newTokenId(),
      username,
      tokenHash: sha256Hex(token),
      createdAt: new Date(),
    });
    tokens[username] = token;
  }
  await store.close();
  await blobs.close();
  servers.push(
    ...(await Promise.all(
      ['a', 'b'].map(() =>
        spawnServer(['--home', home, '--lease', '1500m', '--log-level', 'warn']),
      ),
    )),
  );
}, 60_000);
afterAll(async () => {
  await Promise.all(foremen.map((foreman) => foreman.close()));
  for (const server of servers) {
    if (server.process.exitCode === null && server.process.signalCode === null) {
      server.process.kill('SIGTERM');
      await server.exited;
    }
  }
  await rm(home, { recursive: true, force: true });
});

describe('two server processes on one SQLite file', () => {
  it('assigns a task submitted to one to an idle foreman of the other within 200 ms', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const sim = new SimForeman({
      urls: [b.url],
      token: tokens.node ?? '',
      id: 'on-b',
      mode: 'complete',
    });
    foremen.push(sim);
    await sim.connect();
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const key = await submit(a.url, tokens.alice ?? '');
      await sim.next((m) => m.type === 'task:assign' && m.key === key, 2000);
      latencies.push((sim.assignments.find((x) => x.key === key)?.at ?? Infinity) - started);
    }
    latencies.sort((x, y) => x - y);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(200);
    expect(latencies.at(-1)).toBeLessThan(400);
    await sim.close();
  });

  it('survives kill -9 of one: its foremen move to the other, no task lost or run twice', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const sims = ['f1', 'f2', 'f3'].map(
      (id) =>
        new SimForeman({
          urls: [a.url, b.url],
          token: tokens.node ?? '',
          id,
          mode: 'complete',
          runMs: 150,
          isReconnecting: true,
          capacity: { cpus: 2, memory: '4G' },
        }),
    );
    foremen.push(...sims);
    await Promise.all(sims.map((sim) => sim.connect()));
    const keys: string[] = [];
    for (let i = 0; i < 24; i++) keys.push(await submit(b.url, tokens.alice ?? ''));
    // Some tasks run, some wait: kill the process holding every foreman's connection.
    await until(() => sims.some((sim) => sim.completed.length > 0), 5000, 'a first result');
    a.process.kill('SIGKILL');
    await a.exited;
    await until(
      () => sims.every((sim) => sim.welcome !== undefined && sim.url === b.url),
      5000,
      'failover',
    );
    await until(
      () => new Set(sims.flatMap((sim) => sim.completed)).size === keys.length,
      15_000,
      'every task completed',
    ).catch(async (error: unknown) => {
      const { store, blobs } = await openStorage({ home });
      const states = await Promise.all(keys.map((key) => store.getTask(key)));
      console.log(
        JSON.stringify(states.map((x) => [x?.state, x?.attempt, x?.assignee, x?.lostCount])),
      );
      console.log(
        JSON.stringify(
          sims.map((s) => [
            s.options.id,
            s.url,
            s.completed.length,
            s.assignments.length,
            [...s.running],
            s.closes,
            s.refusedResults,
          ]),
        ),
      );
      console.log(b.stderr());
      await store.close();
      await blobs.close();
      throw error;
    });
    const completed = sims.flatMap((sim) => sim.completed);
    const accepted = completed.filter((key, index) => completed.indexOf(key) === index);
    expect(accepted.sort()).toEqual([...keys].sort());
    // Each task reached a foreman once: nothing ran twice.
    const assigned = sims.flatMap((sim) => sim.assignments.map((x) => x.key));
    expect(assigned.sort()).toEqual([...keys].sort());
    const { store, blobs } = await openStorage({ home });
    try {
      for (const key of keys)
        expect(await store.getTask(key)).toMatchObject({ state: 'finished', lostCount: 0 });
      const records = await store.listForemen();
      const serverIds = new Set(
        records.filter((r) => sims.some((s) => s.options.id === r.id)).map((r) => r.serverId),
      );
      expect(serverIds.size).toBe(1);
    } finally {
      await store.close();
      await blobs.close();
    }
  });
});
