import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from './support/cli-run.js';
import { api } from './support/http-client.js';
import { spawnServer, type ServerProcess } from './support/server-process.js';

/**
 * kill -9 of a server process in the middle of a burst of task submissions, then a
 * restart on the same home: every task that got a 201 is there, intact.
 */
let home: string;
let token: string;
const running: ServerProcess[] = [];

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-server-crash-'));
  const added = await runCliCaptured(['user', 'add', 'alice', '--role', 'client', '--home', home]);
  expect(added.code).toBe(0);
  const created = await runCliCaptured(['token', 'create', 'alice', '--home', home]);
  expect(created.code).toBe(0);
  token = created.stdout.trim();
});
afterAll(async () => {
  for (const server of running) server.process.kill('SIGKILL');
  await rm(home, { recursive: true, force: true });
});

describe('a server killed with SIGKILL during a burst of submissions', () => {
  it('keeps every task it acknowledged', { timeout: 90_000 }, async () => {
    const first = await spawnServer(['--home', home, '--max-json-size', '1M']);
    running.push(first);
    const acknowledged = new Map<string, unknown>();
    let isStopped = false;
    const submitter = async (index: number): Promise<void> => {
      for (let i = 0; !isStopped; i++) {
        try {
          const response = await api(first.url, '/api/v1/tasks', {
            token,
            json: {
              task: {
                image: 'kolejka-test/busybox:latest',
                args: ['echo', `submitter ${index} task ${i}`],
                environment: { INDEX: String(i) },
                limits: { memory: '64M', time: '5s' },
              },
            },
          });
          if (response.status === 201) {
            const task = response.json as { key: string; spec: unknown };
            acknowledged.set(task.key, task.spec);
          }
        } catch {
          // The connection died with the server: this submitter is done.
          return;
        }
      }
    };
    let active = 8;
    const submitters = Array.from({ length: active }, (_, index) =>
      submitter(index).finally(() => (active -= 1)),
    );
    while (acknowledged.size < 150 && active > 0) await sleep(5);
    first.process.kill('SIGKILL');
    const { signal } = await first.exited;
    isStopped = true;
    await Promise.all(submitters);
    expect(signal).toBe('SIGKILL');
    expect(acknowledged.size).toBeGreaterThanOrEqual(150);

    const second = await spawnServer(['--home', home]);
    running.push(second);
    const missing: string[] = [];
    for (const [key, spec] of acknowledged) {
      const response = await api(second.url, `/api/v1/tasks/${key}`, { token });
      if (response.status !== 200) missing.push(`${key}: ${response.status}`);
      else expect((response.json as { spec: unknown }).spec).toEqual(spec);
    }
    expect(missing).toEqual([]);
    const health = await api(second.url, '/healthz');
    expect(health.status).toBe(200);

    // A graceful stop this time: SIGTERM drains and exits 0.
    second.process.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });
});
