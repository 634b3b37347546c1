import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KolejkaClient } from '../src/index.js';
import { fakeFetch, json, type Handler } from './support/fake-fetch.js';
import { removeTempDirs, tempDir } from './support/fixtures.js';
import { failure } from './support/failure.js';

const KEY = 'b'.repeat(32);
const content = Buffer.from('the output\n');
const HASH = createHash('sha256').update(content).digest('hex');

afterAll(removeTempDirs);

function resultReply(files: Record<string, unknown>) {
  return json(200, {
    taskKey: KEY,
    attempt: 1,
    poster: 'node1',
    createdAt: '2024-01-01T00:00:00.000Z',
    spec: { id: KEY, tags: [], limits: {}, stats: {}, result: 0, files },
  });
}

function client(handler: Handler) {
  const fake = fakeFetch(handler);
  return {
    kolejka: new KolejkaClient({
      server: 'http://server.test',
      token: 't',
      fetch: fake.fetch,
      retries: 0,
    }),
    calls: fake.calls,
  };
}

describe('a result with hostile file names', () => {
  it.each([
    ['../x', 'has a ".." component'],
    ['a/../../x', 'has a ".." component'],
    ['/etc/cron.d/x', 'is absolute'],
    ['a\0b', 'contains a NUL character'],
    ['kolejka_result.json', 'would overwrite kolejka_result.json'],
  ])('refuses %j and writes nothing', async (name, problem) => {
    const { kolejka, calls } = client(() =>
      resultReply({ 'fine.txt': { reference: HASH }, [name]: { reference: HASH } }),
    );
    const parent = await tempDir();
    const dir = path.join(parent, 'result');
    const error = await failure(kolejka.getResult(KEY, dir));
    expect(error.code).toBe('KOLEJKA_VALIDATION');
    expect(error.message).toContain(`result of task ${KEY} (refused: nothing was written)`);
    expect(error.message).toContain(problem);
    expect(error.issues.map((issue) => issue.path)).toEqual([
      `/files/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`,
    ]);
    // Only the result record was asked for: no blob was downloaded, no file written.
    expect(calls.map((call) => new URL(call.url).pathname)).toEqual([
      `/api/v1/tasks/${KEY}/result`,
    ]);
    expect(await readdir(parent)).toEqual([]);
  });

  it('refuses a file that a symbolic link in the directory would lead outside', async () => {
    const { kolejka } = client((url) =>
      url.endsWith('/result')
        ? resultReply({ 'sub/x.txt': { reference: HASH } })
        : new Response(content, { status: 200 }),
    );
    const outside = await tempDir();
    const dir = await tempDir();
    await symlink(outside, path.join(dir, 'sub'));
    const error = await failure(kolejka.getResult(KEY, dir));
    expect(error.message).toContain('through a symbolic link; refused');
    expect(await readdir(outside)).toEqual([]);
  });
});

describe('downloads', () => {
  it('refuses content that does not match its hash and leaves no file', async () => {
    const { kolejka } = client(() => new Response('something else', { status: 200 }));
    const dir = await tempDir();
    const error = await failure(kolejka.getBlob(HASH, path.join(dir, 'out.txt')));
    expect(error.code).toBe('KOLEJKA_INTERNAL');
    expect(error.message).toContain('hashes to');
    expect(await readdir(dir)).toEqual([]);
  });

  it('resumes an interrupted download with a Range request', async () => {
    const big = Buffer.alloc(300_000, 7);
    const bigHash = createHash('sha256').update(big).digest('hex');
    const ranges: (string | null)[] = [];
    const { kolejka } = client((_url, init) => {
      const range = new Headers(init.headers).get('range');
      ranges.push(range);
      if (range === null) {
        let sent = false;
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (!sent) {
              sent = true;
              controller.enqueue(big.subarray(0, 100_000));
            } else controller.error(new Error('connection lost'));
          },
        });
        return new Response(body, {
          status: 200,
          headers: { 'content-length': String(big.length) },
        });
      }
      const start = Number(/bytes=(\d+)-/.exec(range)?.[1]);
      return new Response(big.subarray(start), {
        status: 206,
        headers: { 'content-length': String(big.length - start) },
      });
    });
    const dir = await tempDir();
    const target = path.join(dir, 'nested', 'big.bin');
    await mkdir(dir, { recursive: true });
    expect(await kolejka.getBlob(bigHash, target)).toMatchObject({ size: big.length });
    expect(ranges).toEqual([null, 'bytes=100000-']);
    expect((await readFile(target)).equals(big)).toBe(true);
    expect(await readdir(path.dirname(target))).toEqual(['big.bin']);
  });
});
