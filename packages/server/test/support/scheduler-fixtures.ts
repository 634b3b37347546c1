import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { ServerSettingsOptions } from '../../src/server-settings.js';
import { api } from './http-client.js';
import { SimForeman, type SimForemanOptions } from './sim-foreman.js';
import { startTestServer, type TestServer } from './test-server.js';

export { sleep };

export interface TaskInput {
  limits?: Record<string, unknown>;
  requires?: string[];
  exclusive?: boolean;
  priority?: number;
}

/** Submits a trivial task through API v1; returns its key. */
export async function submit(url: string, token: string, input: TaskInput = {}): Promise<string> {
  const response = await api(url, '/api/v1/tasks', {
    token,
    json: {
      task: {
        image: 'kolejka-test/busybox:latest',
        args: ['true'],
        limits: input.limits ?? { cpus: 1, memory: '64M' },
        ...(input.requires === undefined ? {} : { requires: input.requires }),
        ...(input.exclusive === undefined ? {} : { exclusive: input.exclusive }),
      },
      ...(input.priority === undefined ? {} : { priority: input.priority }),
    },
  });
  expect(response.status, response.text).toBe(201);
  return (response.json as { key: string }).key;
}

/** Polls `check` until it returns true (for states the test cannot be pushed). */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export interface SchedulerFixture {
  /** The suite's server (started in `beforeAll`). */
  readonly server: TestServer;
  /** A simulated foreman connected to the server, closed after the test. */
  foreman: (options?: Partial<SimForemanOptions>) => Promise<SimForeman>;
  /** Closes a foreman the test made itself after the test. */
  track: (sim: SimForeman) => void;
  /** The token of the standard client user alice. */
  alice: () => string;
}

/**
 * One server per suite for scheduler tests. After each test the foremen it made are closed
 * and every task not ended is cancelled, so a test's leftovers never reach the next test's
 * foremen. Call at the top of a test file.
 */
export function useSchedulerServer(options: {
  settings: ServerSettingsOptions;
  /** Foreman ids are `<idPrefix>-1`, `<idPrefix>-2`… unless a test names one. */
  idPrefix: string;
  /** Options every foreman of the suite starts with (a test's options win). */
  foremanDefaults?: Partial<SimForemanOptions>;
  /** SQLite sync level (default: the store's, `full`). */
  sqliteSynchronous?: 'full' | 'normal';
}): SchedulerFixture {
  let server: TestServer | undefined;
  const foremen: SimForeman[] = [];
  let nextId = 0;
  const started = (): TestServer => {
    if (server === undefined) throw new Error('the scheduler test server is not started');
    return server;
  };
  beforeAll(async () => {
    server = await startTestServer({
      settings: options.settings,
      ...(options.sqliteSynchronous === undefined
        ? {}
        : { sqliteSynchronous: options.sqliteSynchronous }),
    });
  });
  afterEach(async () => {
    await Promise.all(foremen.splice(0).map((foreman) => foreman.close()));
    const t = started();
    for (const task of (
      await t.store.listTasks({ states: ['queued', 'assigned', 'running'] }, 10_000)
    ).items)
      await t.store.cancelTask(task.key, 'test cleanup', new Date());
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    get server() {
      return started();
    },
    foreman: async (foremanOptions = {}) => {
      const t = started();
      const sim = new SimForeman({
        urls: [t.url],
        token: t.users.foreman?.token ?? '',
        id: `${options.idPrefix}-${++nextId}`,
        ...options.foremanDefaults,
        ...foremanOptions,
      });
      foremen.push(sim);
      await sim.connect();
      return sim;
    },
    track: (sim) => {
      foremen.push(sim);
    },
    alice: () => started().users.alice?.token ?? '',
  };
}
