import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KolejkaServerError } from '@kolejka/client';
import {
  emptyStats,
  writeResult,
  type ForemanMessage,
  type Logger,
  type ProtocolError,
  type ResultSpecJson,
} from '@kolejka/spec';
import { Assignments, type WorkState } from '../src/tasks/assignments.js';
import { BlobCache } from '../src/tasks/blob-cache.js';
import { TempDisk } from '../src/temp-disk.js';
import { CapacityLedger } from '../src/capacity-ledger.js';
import type { ResolvedForemanOptions } from '../src/options.js';
import { ResultUploads } from '../src/tasks/result-uploads.js';
import type { LocalTask } from '../src/tasks/local-task.js';
import type { ForemanRuntime } from '../src/tasks/runtime.js';

const KEY = 'c'.repeat(32);
let temp: string;
beforeEach(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-foreman-uploads-'));
});
afterEach(() => rm(temp, { recursive: true, force: true }));

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    error: (message) => lines.push(message),
    warn: (message) => lines.push(message),
    info: (message) => lines.push(message),
    debug: () => undefined,
    child: () => logger,
  };
  return logger;
}

/** A runtime with fakes at its seams: the server's HTTP calls and the channel. */
function fakeRuntime(options: { canPush: boolean; isConnected?: boolean }) {
  const sent: ForemanMessage[] = [];
  const logs: string[] = [];
  const http = { puts: 0, uploads: 0, putError: undefined as Error | undefined };
  const runtime: ForemanRuntime = {
    options: { tempDir: temp } as ResolvedForemanOptions,
    logger: recordingLogger(logs),
    ledger: new CapacityLedger({ cpus: 1 }, []),
    worker: {
      execute: () => Promise.reject(new Error('unused')),
      removeLeftoverCgroups: () => Promise.resolve(),
      close: () => Promise.resolve(),
    },
    cache: new BlobCache({
      dir: path.join(temp, 'blobs'),
      budgetBytes: 0,
      fetch: () => Promise.resolve(),
    }),
    images: undefined,
    disk: new TempDisk(temp, recordingLogger(logs)),
    server: {
      getBlob: () => Promise.resolve(),
      putResult: () => {
        http.puts += 1;
        return http.putError === undefined ? Promise.resolve({}) : Promise.reject(http.putError);
      },
      uploadResult: (key) => {
        http.uploads += 1;
        return Promise.resolve({ id: key, result: 0, files: {} } as unknown as ResultSpecJson);
      },
    },
    tasks: new Map(),
    send: (message) => {
      if (options.isConnected === false) return false;
      sent.push(message);
      return true;
    },
    canPushResults: () => options.canPush,
    changed: () => undefined,
  };
  const uploads = new ResultUploads(runtime);
  const state: WorkState = { isClosing: false, isDraining: false, isDrainedByServer: false };
  const assignments = new Assignments(runtime, uploads, state);
  return { runtime, uploads, assignments, sent, logs, http };
}

async function finishedTask(setup: ReturnType<typeof fakeRuntime>): Promise<LocalTask> {
  const local = setup.assignments.newLocal(KEY, 3);
  await mkdir(local.workDir.resultDir, { recursive: true });
  await writeResult(local.workDir.resultDir, {
    id: KEY,
    tags: [],
    limits: {},
    stats: emptyStats(),
    result: 0,
    files: {},
  });
  setup.runtime.tasks.set(KEY, local);
  return local;
}

/** A result pushed in task:finished that the server answers with an error about its attempt. */
async function pushedAndRefused(
  code: ProtocolError['code'],
  message: string,
): Promise<ReturnType<typeof fakeRuntime>> {
  const setup = fakeRuntime({ canPush: true });
  await setup.uploads.submit(await finishedTask(setup));
  setup.assignments.onMessage({ type: 'error', code, message, details: { key: KEY, attempt: 3 } });
  return setup;
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
};

describe('results sent in task:finished (protocol 2)', () => {
  it('are kept in the spool until the server shows it took them', async () => {
    const setup = fakeRuntime({ canPush: true });
    const local = await finishedTask(setup);
    await setup.uploads.submit(local);
    expect(setup.sent).toEqual([
      { type: 'task:finished', key: KEY, attempt: 3, result: { id: KEY, result: 0, files: {} } },
    ]);
    expect(local.phase).toBe('confirming');
    expect((await readdir(local.workDir.root)).sort()).toEqual(['result', 'spool.json']);
    // After the next heartbeat the server withdraws the task: it is finished, not ours.
    setup.assignments.onMessage({
      type: 'task:cancel',
      key: KEY,
      attempt: 3,
      reason: 'this attempt is not yours any more',
    });
    await until(() => setup.runtime.tasks.size === 0);
    expect(setup.logs).toContain('result stored');
    expect(await readdir(path.join(temp, 'tasks'))).toEqual([]);
    expect(setup.http.puts).toBe(0);
  });

  it('drop a result refused as stale, and retry over HTTP what the server could not store', async () => {
    const stale = await pushedAndRefused('KOLEJKA_CONFLICT', 'Attempt 3 is not current');
    await until(() => stale.runtime.tasks.size === 0);
    expect(stale.logs).toContain('the server refused the result for this attempt; dropped');

    const busy = await pushedAndRefused('KOLEJKA_INTERNAL', 'oops');
    await until(() => busy.http.puts === 1);
    await until(() => busy.runtime.tasks.size === 0);
    expect(busy.sent.at(-1)).toEqual({ type: 'task:finished', key: KEY, attempt: 3 });
  });

  it('after a reconnect: kept goes again over HTTP, dropped means taken', async () => {
    const setup = fakeRuntime({ canPush: true });
    const local = await finishedTask(setup);
    await setup.uploads.submit(local);
    const welcome = {
      type: 'server:welcome' as const,
      protocol: 2,
      serverId: 's',
      heartbeatIntervalMs: 1000,
      leaseMs: 3000,
      draining: false,
    };
    setup.assignments.onWelcome(
      { ...welcome, kept: [{ key: KEY, attempt: 3 }], dropped: [] },
      'http://x',
    );
    await until(() => setup.http.puts === 1 && setup.runtime.tasks.size === 0);

    const other = fakeRuntime({ canPush: true });
    const gone = await finishedTask(other);
    await other.uploads.submit(gone);
    other.assignments.onWelcome(
      { ...welcome, kept: [], dropped: [{ key: KEY, attempt: 3 }] },
      'http://x',
    );
    await until(() => other.runtime.tasks.size === 0);
    expect(other.http.puts).toBe(0);
  });
});

describe('results over HTTP (protocol 1, and every retry)', () => {
  it('are stored, then task:finished; a stale attempt is dropped; an unreachable server keeps them spooled', async () => {
    const ok = fakeRuntime({ canPush: false });
    await ok.uploads.submit(await finishedTask(ok));
    expect(ok.http).toMatchObject({ puts: 1, uploads: 0 });
    expect(ok.sent).toEqual([{ type: 'task:finished', key: KEY, attempt: 3 }]);
    expect(ok.runtime.tasks.size).toBe(0);

    const stale = fakeRuntime({ canPush: false });
    stale.http.putError = new KolejkaServerError('KOLEJKA_CONFLICT', 'not current', {
      status: 409,
      url: 'u',
    });
    await stale.uploads.submit(await finishedTask(stale));
    expect(stale.runtime.tasks.size).toBe(0);
    expect(stale.sent).toEqual([]);

    const away = fakeRuntime({ canPush: false });
    away.http.putError = new KolejkaServerError('KOLEJKA_UNAVAILABLE', 'down', {
      status: 503,
      url: 'u',
    });
    const local = await finishedTask(away);
    await away.uploads.submit(local);
    expect(local.phase).toBe('spooled');
    away.http.putError = undefined;
    away.uploads.retryNow(local);
    await until(() => away.runtime.tasks.size === 0);
    expect(away.http.puts).toBe(2);
  });
});
