import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { api } from './http-client.js';

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
