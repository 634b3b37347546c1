import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULT_SPEC_FILE, readResult } from '@kolejka/spec';
import { planResultArchive } from '../src/results/result-archive.js';
import { api } from './support/http-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const run = promisify(execFile);
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

let t: TestServer;
let scratch: string;
const token = (name: string): string => t.users[name]?.token ?? '';

beforeAll(async () => {
  t = await startTestServer();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-archive-'));
});
afterAll(async () => {
  await t.close();
  await rm(scratch, { recursive: true, force: true });
});

async function upload(user: string, content: Buffer | string): Promise<string> {
  const hash = sha256(content);
  const reply = await api(t.url, `/api/v1/blobs/${hash}`, {
    method: 'PUT',
    token: token(user),
    body: content,
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  expect([200, 201]).toContain(reply.status);
  return hash;
}

/** A task of alice's, finished by the foreman with these files (name → content). */
async function finishedTask(files: Record<string, Buffer | string>): Promise<string> {
  const script = await upload('alice', 'echo hi\n');
  const created = await api(t.url, '/api/v1/tasks', {
    token: token('alice'),
    json: {
      task: {
        image: 'kolejka-test/busybox:latest',
        args: ['sh', 'run.sh'],
        files: { 'run.sh': { reference: script } },
      },
    },
  });
  expect(created.status, created.text).toBe(201);
  const key = (created.json as { key: string }).key;
  await t.store.claimTask(key, {
    assignee: 'foreman',
    leaseExpiresAt: new Date(Date.now() + 60_000),
    now: new Date(),
  });
  const refs: Record<string, { reference: string }> = {};
  for (const [name, content] of Object.entries(files))
    refs[name] = { reference: await upload('foreman', content) };
  const posted = await api(t.url, `/api/v1/tasks/${key}/result`, {
    method: 'PUT',
    token: token('foreman'),
    json: {
      attempt: 1,
      result: { result: 0, stdout: 'console/stdout.txt', files: refs, stats: { time: '1s' } },
    },
  });
  expect(posted.status, posted.text).toBe(201);
  return key;
}

/** Extracts an archive with the system tar into a fresh directory. */
async function extract(archive: Buffer): Promise<string> {
  const dir = await mkdtemp(path.join(scratch, 'x-'));
  const file = path.join(dir, '..', `${path.basename(dir)}.tar.gz`);
  await writeFile(file, archive);
  await run('tar', ['-xzf', file, '-C', dir]);
  return dir;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('GET /api/v1/tasks/{key}/result/archive', () => {
  it('streams the result directory as kolejka-client writes it, as a .tar.gz', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const longName = `deep/${'n'.repeat(120)}/zażółć.txt`;
    const files = {
      'console/stdout.txt': 'hi\n',
      'out/big.bin': big,
      'empty.txt': '',
      [longName]: 'long and not ascii\n',
    };
    const key = await finishedTask(files);
    const reply = await api(t.url, `/api/v1/tasks/${key}/result/archive`, {
      token: token('alice'),
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers['content-type']).toBe('application/gzip');
    expect(reply.headers['content-disposition']).toBe(
      `attachment; filename="${key}-result.tar.gz"`,
    );

    const dir = await extract(reply.body);
    expect(await listFiles(dir)).toEqual([...Object.keys(files), RESULT_SPEC_FILE].sort());
    for (const [name, content] of Object.entries(files)) {
      expect((await readFile(path.join(dir, name))).equals(Buffer.from(content)), name).toBe(true);
    }
    // The spec is valid, lists every file with its path and hash, and is the stored result.
    const spec = await readResult(dir);
    expect(spec).toMatchObject({ id: key, result: 0, stdout: 'console/stdout.txt' });
    for (const [name, content] of Object.entries(files))
      expect(spec.files[name]).toEqual({ path: name, reference: sha256(content) });
    const text = await readFile(path.join(dir, RESULT_SPEC_FILE), 'utf8');
    expect(JSON.parse(text)).toMatchObject({
      id: key,
      files: { 'empty.txt': { path: 'empty.txt' } },
    });
  });

  it('follows the result visibility rule: owner and inspector yes, others 404, assignee 403', async () => {
    const key = await finishedTask({ 'a.txt': 'a\n' });
    const as = (who: string) =>
      api(t.url, `/api/v1/tasks/${key}/result/archive`, { token: token(who) });
    expect((await as('inspector')).status).toBe(200);
    expect((await as('manager')).status).toBe(200);
    const bobs = await as('bob');
    expect(bobs.status).toBe(404);
    expect(bobs.json).toMatchObject({ error: { code: 'KOLEJKA_NOT_FOUND' } });
    expect((await as('foreman')).status).toBe(403);
    expect((await api(t.url, `/api/v1/tasks/${key}/result/archive`)).status).toBe(401);
  });

  it('answers 404 with the state while there is no result', async () => {
    const created = await api(t.url, '/api/v1/tasks', {
      token: token('alice'),
      json: { task: { image: 'kolejka-test/busybox:latest', args: ['true'], files: {} } },
    });
    const key = (created.json as { key: string }).key;
    const reply = await api(t.url, `/api/v1/tasks/${key}/result/archive`, {
      token: token('alice'),
    });
    expect(reply.status).toBe(404);
    expect(reply.json).toMatchObject({ error: { details: { state: 'queued', taskKey: key } } });
  });

  it('answers 409 before sending anything when a result blob is gone', async () => {
    const lost = `lost ${Date.now()}\n`;
    const key = await finishedTask({ 'kept.txt': 'kept\n', 'lost.txt': lost });
    await t.blobs.delete(sha256(lost));
    const reply = await api(t.url, `/api/v1/tasks/${key}/result/archive`, {
      token: token('alice'),
    });
    expect(reply.status).toBe(409);
    expect(reply.json).toMatchObject({
      error: {
        code: 'KOLEJKA_CONFLICT',
        details: { issues: [{ path: '/files/lost.txt/reference' }] },
      },
    });
  });

  it('never plans a name that leaves the directory or replaces the spec', async () => {
    const hash = sha256('x');
    const record = (files: Record<string, unknown>) => ({
      taskKey: 'f'.repeat(32),
      attempt: 1,
      poster: 'foreman',
      createdAt: new Date(),
      spec: { tags: [], limits: {}, stats: {}, files } as never,
    });
    const blobs = { size: () => Promise.resolve(1) };
    for (const name of ['../escape.txt', '/etc/passwd', 'a/../../b', RESULT_SPEC_FILE]) {
      await expect(
        planResultArchive(blobs, record({ [name]: { reference: hash } })),
        name,
      ).rejects.toThrow();
    }
    const plan = await planResultArchive(blobs, record({ 'ok/file.txt': { reference: hash } }));
    expect(plan.files).toEqual([{ name: 'ok/file.txt', hash, size: 1 }]);
  });
});
