import { createHash, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect } from 'vitest';
import { dumpStats, emptyStats, isKolejkaError, type ErrorCode } from '@kolejka/spec';
import type { ResultRecord, Store, TaskRecord } from '../src/store/store.js';

/** How a conformance run gets stores of one engine. */
export interface StoreEngine {
  name: string;
  /** A new, empty store whose data no other test sees. */
  create: () => Promise<StoreContext>;
}

export interface StoreContext {
  store: Store;
  /** Another instance on the same data (another connection). */
  openAnother: () => Promise<Store>;
  /** Closes every instance opened here and removes the data. */
  destroy: () => Promise<void>;
}

/** Registers per-test setup and returns a getter for the current test's context. */
export function useStore(engine: StoreEngine): () => StoreContext {
  let context: StoreContext | undefined;
  beforeEach(async () => {
    context = await engine.create();
  });
  afterEach(async () => {
    await context?.destroy();
    context = undefined;
  });
  return () => {
    if (context === undefined) throw new Error('no store: used outside a test');
    return context;
  };
}

export const T0 = new Date('2024-03-01T12:00:00.000Z');
/** T0 plus `seconds`. */
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

export const hashOf = (text: string): string => createHash('sha256').update(text).digest('hex');
export const newKey = (): string => randomUUID().replaceAll('-', '');

export async function putBlobs(store: Store, ...names: string[]): Promise<string[]> {
  const hashes: string[] = [];
  for (const name of names) {
    const hash = hashOf(name);
    await store.putBlob({ hash, size: name.length, createdAt: T0 });
    hashes.push(hash);
  }
  return hashes;
}

export function makeTask(
  overrides: Partial<TaskRecord> & { files?: Record<string, string> } = {},
): TaskRecord {
  const { files = {}, ...rest } = overrides;
  const key = rest.key ?? newKey();
  return {
    key,
    owner: 'alice',
    spec: {
      id: key,
      image: 'kolejka-test/busybox:latest',
      requires: [],
      limits: { time: '10.0s', memory: '67108864b' },
      environment: { 'A.B': '1', $X: 'dollar' },
      args: ['sh', '-c', 'echo hi'],
      files: Object.fromEntries(
        Object.entries(files).map(([name, hash]) => [name, { reference: hash }]),
      ),
      collect: [],
    },
    state: 'queued',
    priority: 0,
    attempt: 0,
    lostCount: 0,
    maxAttempts: 3,
    createdAt: T0,
    updatedAt: T0,
    ...rest,
  };
}

export function makeResult(
  taskKey: string,
  attempt: number,
  options: { exit?: number; files?: Record<string, string>; poster?: string } = {},
): ResultRecord {
  return {
    taskKey,
    attempt,
    spec: {
      id: taskKey,
      tags: [],
      limits: { time: '10.0s' },
      stats: dumpStats(emptyStats()),
      result: options.exit ?? 0,
      files: Object.fromEntries(
        Object.entries(options.files ?? {}).map(([name, hash]) => [name, { reference: hash }]),
      ),
    },
    poster: options.poster ?? 'foreman-user',
    createdAt: at(100),
  };
}

/** Creates a task and claims it (attempt 1) for `assignee`. */
export async function assignedTask(
  store: Store,
  assignee = 'foreman-1',
  overrides: Partial<TaskRecord> = {},
): Promise<TaskRecord> {
  const task = makeTask(overrides);
  await store.createTask(task);
  const claimed = await store.claimTask(task.key, {
    assignee,
    leaseExpiresAt: at(60),
    now: at(1),
  });
  if (claimed === undefined) throw new Error('fixture claim failed');
  return claimed;
}

/** Expects `promise` to reject with a KolejkaError of `code` whose message matches `message`. */
export async function expectKolejkaError(
  promise: Promise<unknown>,
  code: ErrorCode,
  message?: RegExp,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isKolejkaError(error))
    throw new Error(`expected a KolejkaError ${code}, got ${String(error)}`, { cause: error });
  expect(error.code).toBe(code);
  if (message !== undefined) expect(error.message).toMatch(message);
}
