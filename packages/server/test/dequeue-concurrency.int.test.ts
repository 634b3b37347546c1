import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/accounts/passwords.js';
import { startServer, type RunningServer } from '../src/server.js';
import { openStorage, type Storage } from '../src/blobs/open-storage.js';
import { CompatSession } from './support/compat-session.js';
import { api } from './support/http-client.js';
import { spawnServer, type ServerProcess } from './support/server-process.js';
import { newTokenId, newTokenSecret, sha256Hex } from '../src/accounts/tokens.js';

/**
 * 20 original foremen claiming through /queue/dequeue/ at once, spread over two server
 * processes on one SQLite file (this one and a spawned one, so the claims really race in
 * the engine), never get the same task twice, and together get every task.
 */
const TASKS = 120;
const CLIENTS = 20;
const PASSWORD = 'concurrency';

let home: string;
let storage: Storage;
let local: RunningServer;
let remote: ServerProcess;
const urls: string[] = [];

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-server-claims-'));
  storage = await openStorage({ home });
  local = await startServer({ storage, port: 0, settings: { leaseSweepIntervalMs: 60_000 } });
  remote = await spawnServer(['--home', home]);
  urls.push(local.url, remote.url);
  const store = storage.store;
  const passwordHash = await hashPassword(PASSWORD);
  await store.createUser({
    username: 'owner',
    roles: ['client'],
    passwordHash,
    createdAt: new Date(),
  });
  for (let i = 0; i < CLIENTS; i++) {
    await store.createUser({
      username: `foreman${i}`,
      roles: ['processor'],
      passwordHash,
      createdAt: new Date(),
    });
  }
  const secret = newTokenSecret();
  await store.createToken({
    id: newTokenId(),
    username: 'owner',
    tokenHash: sha256Hex(secret),
    createdAt: new Date(),
  });
  for (let i = 0; i < TASKS; i++) {
    const response = await api(urls[i % 2] ?? '', '/api/v1/tasks', {
      token: secret,
      json: {
        task: {
          image: 'kolejka-test/busybox:latest',
          args: ['echo', String(i)],
          limits: { cpus: 1 },
        },
      },
    });
    expect(response.status).toBe(201);
  }
});
afterAll(async () => {
  remote.process.kill('SIGTERM');
  await remote.exited;
  await local.close();
  await storage.store.close();
  await storage.blobs.close();
  await rm(home, { recursive: true, force: true });
});

describe('concurrent compat dequeue', () => {
  it('never assigns a task twice', { timeout: 60_000 }, async () => {
    const sessions = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        const session = new CompatSession(urls[i % 2] ?? '');
        const login = await session.login(`foreman${i}`, PASSWORD);
        expect(login.json).toEqual({ status: 'OK' });
        return session;
      }),
    );
    const claims = new Map<string, string[]>();
    await Promise.all(
      sessions.map(async (session, i) => {
        for (;;) {
          const response = await session.post(
            '/queue/dequeue/',
            JSON.stringify({ concurency: 1 + (i % 4), limits: { cpus: 4 }, tags: [] }),
          );
          const body = response.json as { status: string; tasks: { id: string }[] };
          expect(body.status).toBe('OK');
          expect(body.tasks.length).toBeLessThanOrEqual(1 + (i % 4));
          if (body.tasks.length === 0) return;
          for (const task of body.tasks)
            claims.set(task.id, [...(claims.get(task.id) ?? []), `foreman${i}`]);
        }
      }),
    );
    const doubles = [...claims].filter(([, claimers]) => claimers.length > 1);
    expect(doubles).toEqual([]);
    expect(claims.size).toBe(TASKS);
    const claimersBy = new Set([...claims.values()].flat());
    expect(claimersBy.size).toBeGreaterThan(CLIENTS / 2);
    for (const [key, [claimer]] of claims) {
      const task = await storage.store.getTask(key);
      expect(task).toMatchObject({ state: 'assigned', assignee: claimer, attempt: 1 });
    }
  });
});
