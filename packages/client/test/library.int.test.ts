import { readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskState } from '@kolejka/spec';
import { KolejkaClient, KolejkaServerError } from '../src/index.js';
import { claimTasks, finishTask, type ForemanIdentity } from './support/fake-foreman.js';
import { captureLogger, makeTaskDir, removeTempDirs, tempDir } from './support/fixtures.js';
import { blobUploadCount } from './support/forwarder.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { failure } from './support/failure.js';

let server: TestServer;
let foreman: ForemanIdentity;

beforeAll(async () => {
  server = await startTestServer({
    settings: { callbackHosts: ['localhost'] },
  });
  foreman = { url: server.url, token: server.users.foreman?.token as string };
});
afterAll(async () => {
  await server.close();
  await removeTempDirs();
});

/** A client of a user of its own, so listings and dedup start empty. */
async function newClient(options: Partial<ConstructorParameters<typeof KolejkaClient>[0]> = {}) {
  const user = await server.addUser(`user${Math.random().toString(36).slice(2, 10)}`, ['client']);
  return new KolejkaClient({ server: server.url, token: user.token, ...options });
}

describe('blobs', () => {
  it('uploads a file once: a second put only hashes and asks (nothing sent)', async () => {
    const client = await newClient();
    const dir = await tempDir();
    const file = path.join(dir, 'data.bin');
    await writeFile(file, `some content ${Math.random()}`);
    const before = await blobUploadCount(server.url);
    const first = await client.putBlob(file);
    const afterFirst = await blobUploadCount(server.url);
    const second = await client.putBlob(file);
    const afterSecond = await blobUploadCount(server.url);
    expect(first.isUploaded).toBe(true);
    expect(second).toEqual({ ...first, isUploaded: false });
    expect(afterFirst - before).toBe(1);
    expect(afterSecond - afterFirst).toBe(0);
    expect(await client.hasBlob(first.hash)).toBe(true);

    const target = path.join(dir, 'copy', 'data.bin');
    const got = await client.getBlob(first.hash, target);
    expect(got).toEqual({ hash: first.hash, size: first.size, path: target });
    expect(await readFile(target, 'utf8')).toBe(await readFile(file, 'utf8'));
  });

  it('leaves nothing behind when a download fails', async () => {
    const client = await newClient();
    const dir = await tempDir();
    const error = await failure(client.getBlob('0'.repeat(64), path.join(dir, 'missing.bin')));
    expect(error.code).toBe('KOLEJKA_NOT_FOUND');
    expect(error).toBeInstanceOf(KolejkaServerError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('deletes own references; the blob is then unknown to the caller', async () => {
    const client = await newClient();
    const dir = await tempDir();
    await writeFile(path.join(dir, 'x'), `delete me ${Math.random()}`);
    const { hash } = await client.putBlob(path.join(dir, 'x'));
    await client.deleteBlob(hash);
    expect(await client.hasBlob(hash)).toBe(false);
    expect((await failure(client.deleteBlob(hash))).code).toBe('KOLEJKA_NOT_FOUND');
  });
});

describe('tasks', () => {
  it('puts a task dir with dedup: the second put of the same files uploads nothing', async () => {
    const client = await newClient();
    const dir = await makeTaskDir({
      'run.sh': 'echo hi\n',
      'data/input.txt': `input ${Math.random()}`,
      'lib/x.py': 'print(1)\n',
    });
    const before = await blobUploadCount(server.url);
    const first = await client.putTaskDetailed(dir);
    const middle = await blobUploadCount(server.url);
    const second = await client.putTaskDetailed(dir);
    const after = await blobUploadCount(server.url);
    expect(first.uploadedCount).toBe(3);
    expect(middle - before).toBe(3);
    expect(second.uploadedCount).toBe(0);
    expect(after - middle).toBe(0);
    expect(first.task.key).not.toBe(second.task.key);
    expect(first.task.state).toBe('queued');
    expect(Object.keys(second.task.spec.files).sort()).toEqual([
      'data/input.txt',
      'lib/x.py',
      'run.sh',
    ]);
    for (const file of Object.values(second.task.spec.files)) {
      expect(file).toEqual({ reference: expect.stringMatching(/^[0-9a-f]{64}$/) });
    }
  });

  it('caps the task limits with the client limits and the call limits, keeping GPUs', async () => {
    const client = await newClient({ limits: { memory: '32M', pids: 64 } });
    const dir = await makeTaskDir(undefined, { limits: { memory: '64M', time: '10s', gpus: 1 } });
    const task = await client.putTask(dir, { limits: { time: '5s', network: false } });
    expect(task.spec.limits).toEqual({
      memory: '33554432b',
      pids: 64,
      time: '5.0s',
      network: false,
      gpus: 1,
      workspace: '1073741824b', // the server's default
    });
  });

  it('checks the task dir before uploading anything, listing every problem', async () => {
    const client = await newClient();
    const outside = await tempDir();
    await writeFile(path.join(outside, 'secret'), 'secret');
    const dir = await makeTaskDir(
      { 'run.sh': 'x' },
      { image: undefined, files: { 'run.sh': null, 'gone.txt': null, link: null } },
    );
    await symlink(path.join(outside, 'secret'), path.join(dir, 'link'));
    const before = await blobUploadCount(server.url);
    const error = await failure(client.putTask(dir));
    expect(error.code).toBe('KOLEJKA_VALIDATION');
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['/image']);
    const fixed = await makeTaskDir(
      { 'run.sh': 'x' },
      { files: { 'run.sh': null, 'gone.txt': null, link: null } },
    );
    // A task dir is the user's: its links are followed (kolejka-judge makes them), so the
    // link here leads to something that is no regular file. A result dir's link that leads
    // outside is refused below.
    await symlink(outside, path.join(fixed, 'link'));
    const second = await failure(client.putTask(fixed));
    expect(second.issues.map((issue) => issue.path).sort()).toEqual([
      '/files/gone.txt/path',
      '/files/link/path',
    ]);
    expect(second.message).toContain('"link" is not a regular file');
    const result = await tempDir();
    await writeFile(
      path.join(result, 'kolejka_result.json'),
      JSON.stringify({ files: { link: null } }),
    );
    await symlink(path.join(outside, 'secret'), path.join(result, 'link'));
    const third = await failure(client.uploadResult('0'.repeat(32), result));
    expect(third.issues.map((issue) => issue.path)).toEqual(['/files/link/path']);
    expect(third.message).toContain('leads outside the directory');
    expect(await blobUploadCount(server.url)).toBe(before);
  });

  it("rebuilds the server's error with its code, message and details", async () => {
    const client = await newClient();
    const dir = await makeTaskDir(undefined, { callback_url: 'http://evil.example/x' });
    const error = await failure(client.putTask(dir));
    expect(error).toBeInstanceOf(KolejkaServerError);
    expect((error as KolejkaServerError).status).toBe(400);
    expect(error.code).toBe('KOLEJKA_VALIDATION');
    expect(error.message).toContain('evil.example');
    expect(error.issues).toEqual([
      { path: '/task/callback_url', message: expect.stringContaining('not allowed') },
    ]);
  });

  it('gets a task into a dir with path = name and the reference kept', async () => {
    const client = await newClient();
    const dir = await makeTaskDir({ 'run.sh': 'echo 1\n', 'sub/in.txt': 'input\n' });
    const task = await client.putTask(dir);
    const target = path.join(await tempDir(), 'copy');
    const got = await client.getTask(task.key, target);
    const spec = JSON.parse(await readFile(path.join(target, 'kolejka_task.json'), 'utf8')) as {
      id: string;
      files: Record<string, unknown>;
    };
    expect(spec.id).toBe(task.key);
    expect(spec.files).toEqual({
      'run.sh': { path: 'run.sh', reference: task.spec.files['run.sh']?.reference },
      'sub/in.txt': { path: 'sub/in.txt', reference: task.spec.files['sub/in.txt']?.reference },
    });
    expect(await readFile(path.join(target, 'sub/in.txt'), 'utf8')).toBe('input\n');
    expect(got.dir).toBe(target);
    // The downloaded dir is a task dir again: putting it uploads nothing new.
    const again = await client.putTaskDetailed(target);
    expect(again.uploadedCount).toBe(0);
  });

  it('lists tasks page by page and iterates over all of them', async () => {
    const client = await newClient();
    const dir = await makeTaskDir();
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push((await client.putTask(dir)).key);
    const first = await client.listTasks({ limit: 2 });
    expect(first.items.map((task) => task.key)).toEqual([keys[4], keys[3]]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await client.listTasks({ limit: 2, cursor: first.nextCursor as string });
    expect(second.items.map((task) => task.key)).toEqual([keys[2], keys[1]]);
    const all: string[] = [];
    for await (const task of client.tasks({ limit: 2 })) all.push(task.key);
    expect(all).toEqual([...keys].reverse());
    expect((await client.listTasks({ states: ['finished'] })).items).toEqual([]);
    const oldest = await client.listTasks({ sort: 'oldest', limit: 2 });
    expect(oldest.items.map((task) => task.key)).toEqual([keys[0], keys[1]]);
    const next = await client.listTasks({
      sort: 'oldest',
      limit: 2,
      cursor: oldest.nextCursor as string,
    });
    expect(next.items.map((task) => task.key)).toEqual([keys[2], keys[3]]);
    const found = await client.listTasks({ keyContains: keys[2]?.slice(4, 12).toUpperCase() });
    expect(found.items.map((task) => task.key)).toEqual([keys[2]]);
    const image = found.items[0]?.spec.image ?? '';
    expect((await client.listTasks({ image, limit: 10 })).items).toHaveLength(5);
    expect((await client.listTasks({ tag: 'no-such-tag' })).items).toEqual([]);
  });

  it('cancels and deletes tasks', async () => {
    const client = await newClient();
    const dir = await makeTaskDir();
    const task = await client.putTask(dir);
    const cancelled = await client.cancelTask(task.key);
    expect(cancelled.state).toBe('cancelled');
    const again = await failure(client.cancelTask(task.key));
    expect(again.code).toBe('KOLEJKA_CONFLICT');
    expect(again.details).toEqual({ state: 'cancelled' });
    const requeued = await client.requeueTask(task.key);
    expect(requeued).toMatchObject({ key: task.key, state: 'queued' });
    const twice = await failure(client.requeueTask(task.key));
    expect(twice.code).toBe('KOLEJKA_CONFLICT');
    expect(twice.details).toEqual({ state: 'queued' });
    await client.deleteTask(task.key);
    expect((await failure(client.getTaskRecord(task.key))).code).toBe('KOLEJKA_NOT_FOUND');
    expect((await failure(client.getTaskRecord('not-a-key'))).code).toBe('KOLEJKA_VALIDATION');
  });
});

describe('results', () => {
  it('wakes within 50 ms of the result, over the events channel', async () => {
    const client = await newClient();
    const task = await client.putTask(await makeTaskDir());
    const [claim] = (await claimTasks(foreman)).filter((one) => one.key === task.key);
    const states: TaskState[] = [];
    let subscribed!: () => void;
    const isSubscribed = new Promise<void>((resolve) => (subscribed = resolve));
    let wokeAt = 0;
    let finishedAt = 0;
    const waiting = client
      .waitForResult(task.key, {
        onProgress: (event) => {
          if (event.type === 'state') {
            states.push(event.state);
            if (event.state === 'finished') finishedAt = Date.parse(event.at);
            subscribed();
          }
        },
      })
      .then((outcome) => {
        wokeAt = Date.now();
        return outcome;
      });
    await isSubscribed;
    let postedAt = 0;
    await finishTask(foreman, claim as NonNullable<typeof claim>, {
      files: { 'console.txt': 'hello\n' },
      onPosting: () => (postedAt = Date.now()),
    });
    const repliedAt = Date.now();
    const outcome = await waiting;
    expect(outcome).toEqual({ key: task.key, state: 'finished', attempt: 1, via: 'events' });
    // The server runs in this process: its clock stamped the change (`at`) when the result
    // was stored; the client must wake within 50 ms of that moment.
    console.log(
      `result posted at +0 ms, stored at +${finishedAt - postedAt} ms, reply at +${repliedAt - postedAt} ms, client woke at +${wokeAt - postedAt} ms`,
    );
    expect(finishedAt).toBeGreaterThanOrEqual(postedAt);
    expect(wokeAt - finishedAt).toBeLessThan(50);
    expect(states).toEqual(['assigned', 'finished']);

    const target = path.join(await tempDir(), 'result');
    const got = await client.getResult(task.key, target);
    expect(await readFile(path.join(target, 'console.txt'), 'utf8')).toBe('hello\n');
    const spec = JSON.parse(await readFile(path.join(target, 'kolejka_result.json'), 'utf8')) as {
      files: Record<string, unknown>;
      result: number;
    };
    expect(spec.result).toBe(0);
    expect(spec.files).toEqual({
      'console.txt': {
        path: 'console.txt',
        reference: got.record.spec.files['console.txt']?.reference,
      },
    });
  });

  it('knows at once when the task has already ended, and refuses unknown tasks', async () => {
    const client = await newClient();
    const task = await client.putTask(await makeTaskDir());
    await client.cancelTask(task.key);
    const outcome = await client.waitForResult(task.key);
    expect(outcome).toMatchObject({
      state: 'cancelled',
      via: 'events',
      reason: expect.stringContaining('cancelled'),
    });
    const unknown = await failure(client.waitForResult('0'.repeat(32)));
    expect(unknown.code).toBe('KOLEJKA_NOT_FOUND');
  });

  it('stops waiting when the task is deleted (the server cancels it first)', async () => {
    const client = await newClient();
    const task = await client.putTask(await makeTaskDir());
    let subscribed!: () => void;
    const isSubscribed = new Promise<void>((resolve) => (subscribed = resolve));
    const waiting = client.waitForResult(task.key, { onProgress: () => subscribed() });
    await isSubscribed;
    await client.deleteTask(task.key);
    expect(await waiting).toMatchObject({
      state: 'cancelled',
      reason: expect.stringContaining('deleted by'),
    });
  });

  it('times out with the state it last saw', async () => {
    const client = await newClient();
    const task = await client.putTask(await makeTaskDir());
    const started = performance.now();
    const error = await failure(client.waitForResult(task.key, { timeoutMs: 300 }));
    expect(error.code).toBe('KOLEJKA_TIMEOUT');
    expect(error.message).toContain(`Task ${task.key} did not end within 300 ms (it is queued)`);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('posts a result as a processor (an identical resend is fine) and deletes it', async () => {
    const owner = await newClient();
    const task = await owner.putTask(await makeTaskDir());
    const [claim] = (await claimTasks(foreman)).filter((one) => one.key === task.key);
    const processor = new KolejkaClient({ server: server.url, token: foreman.token });
    const resultDir = await tempDir();
    await writeFile(path.join(resultDir, 'out.txt'), 'out\n');
    await writeFile(
      path.join(resultDir, 'kolejka_result.json'),
      JSON.stringify({ result: 3, files: { 'out.txt': null }, stats: { time: '1.5s' } }),
    );
    const stored = await processor.putResult(task.key, resultDir, {
      attempt: claim?.attempt as number,
    });
    expect(stored.spec.result).toBe(3);
    const again = await processor.putResult(task.key, resultDir, {
      attempt: claim?.attempt as number,
    });
    expect(again.createdAt).toBe(stored.createdAt);
    const record = await owner.getResultRecord(task.key);
    expect(record.spec.files['out.txt']?.reference).toMatch(/^[0-9a-f]{64}$/);
    await owner.deleteResult(task.key);
    expect((await failure(owner.getResultRecord(task.key))).code).toBe('KOLEJKA_NOT_FOUND');
  });

  it('executes: put, wait, get; consume removes the task dir', async () => {
    const client = await newClient();
    const taskDir = await makeTaskDir({ 'run.sh': `echo ${Math.random()}\n` });
    const resultDir = path.join(await tempDir(), 'result');
    const events: string[] = [];
    let submitted = '';
    const running = client.execute(taskDir, resultDir, {
      consume: true,
      onSubmitted: (task) => (submitted = task.key),
      onProgress: (event) => events.push(event.type === 'state' ? event.state : event.type),
    });
    const finishing = (async () => {
      for (;;) {
        const claims = await claimTasks(foreman);
        const mine = claims.find((one) => one.key === submitted);
        for (const other of claims.filter((one) => one !== mine)) await finishTask(foreman, other);
        if (mine !== undefined) {
          await finishTask(foreman, mine, { exitCode: 2, files: { 'console.txt': 'boom\n' } });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const [done] = await Promise.all([running, finishing]);
    expect(done.outcome.state).toBe('finished');
    expect(done.result?.result).toBe(2);
    expect(done.resultDir).toBe(resultDir);
    expect(await readFile(path.join(resultDir, 'console.txt'), 'utf8')).toBe('boom\n');
    expect(events).toContain('upload');
    expect(events).toContain('finished');
    expect(events).toContain('download');
    await expect(readdir(taskDir)).rejects.toThrow(/ENOENT/);
  });

  it('logs in with a user name and password when it has no token, and revokes that token on close', async () => {
    await server.addUser('carol', ['client']);
    const client = new KolejkaClient({
      server: server.url,
      username: 'carol',
      password: server.users.carol?.password,
    });
    const tokensOf = async () =>
      (
        (await (
          await fetch(`${server.url}/api/v1/tokens?username=carol`, {
            headers: { authorization: `Bearer ${server.users.root?.token as string}` },
          })
        ).json()) as { items: unknown[] }
      ).items.length;
    const before = await tokensOf();
    expect((await client.whoAmI()).username).toBe('carol');
    expect(await tokensOf()).toBe(before + 1);
    await client.close();
    await client.close();
    expect(await tokensOf()).toBe(before);
    const wrong = new KolejkaClient({ server: server.url, username: 'carol', password: 'wrong' });
    const error = await failure(wrong.whoAmI());
    expect(error.code).toBe('KOLEJKA_UNAUTHORIZED');
  });

  it('is configured from the files and the environment as the command line is', async () => {
    const user = await server.addUser(`configured${Date.now()}`, ['client']);
    const home = await tempDir();
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(home, '.config/kolejka'), { recursive: true });
    await writeFile(
      path.join(home, '.config/kolejka/kolejka.conf'),
      `[client]\nserver = http://127.0.0.1:1\nmemory = 16M\n`,
    );
    await writeFile(
      path.join(home, '.config/kolejka/client.json'),
      JSON.stringify({ token: user.token }),
    );
    const client = await KolejkaClient.fromConfig({
      env: { HOME: home, KOLEJKA_SERVER: server.url },
      etcDir: path.join(home, 'etc'),
    });
    expect(client.servers).toEqual([server.url]);
    expect(client.options.limits).toEqual({ memory: 16 * 1024 * 1024 });
    expect((await client.whoAmI()).username).toBe(user.username);
  });

  it('says so in the log when it falls back to polling', async () => {
    const logger = captureLogger();
    const { startForwarder } = await import('./support/forwarder.js');
    const forwarder = await startForwarder(server.url);
    try {
      const user = await server.addUser(`poller${Date.now()}`, ['client']);
      const client = new KolejkaClient({
        server: forwarder.url,
        token: user.token,
        logger,
        pollIntervalMs: 50,
      });
      const task = await client.putTask(await makeTaskDir());
      const waiting = client.waitForResult(task.key);
      const [claim] = (await claimTasks(foreman)).filter((one) => one.key === task.key);
      await finishTask(foreman, claim as NonNullable<typeof claim>);
      expect(await waiting).toMatchObject({ state: 'finished', via: 'polling' });
      const warning = logger.entries.find((entry) => entry.level === 'warn');
      expect(warning?.message).toBe('events channel unavailable; polling for the result');
      expect(warning?.meta.why).toContain('HTTP 404');
    } finally {
      await forwarder.close();
    }
  });
});
