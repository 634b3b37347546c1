import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyPassword } from '../src/accounts/passwords.js';
import { api, type RawResponse } from './support/http-client.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from './support/test-server.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('password guessing', () => {
  it('answers guesses past the limit with 429 and Retry-After, and an upload beside them stays fast', async () => {
    t = await startTestServer({ users: { alice: ['client'] } });
    const url = t.url;
    const uploadTime = async (): Promise<number> => {
      const started = Date.now();
      const upload = await api(url, '/api/v1/blobs', {
        token: t?.users.alice?.token ?? '',
        body: randomBytes(1024 * 1024),
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      expect(upload.status).toBeLessThan(300);
      return Date.now() - started;
    };
    // The same upload alone first: on a busy machine even that can take a while.
    const aloneMs = await uploadTime();
    const replies: RawResponse[] = [];
    let next = 0;
    // 300 wrong passwords, 20 at a time, as in the report.
    const guesser = async (): Promise<void> => {
      while (next < 300) {
        next++;
        replies.push(
          await api(url, '/api/v1/tokens', {
            json: { username: 'alice', password: `guess ${next}` },
          }),
        );
      }
    };
    const guessing = Promise.all(Array.from({ length: 20 }, guesser));
    while (next < 40) await new Promise((resolve) => setTimeout(resolve, 5));

    const uploadMs = await uploadTime();
    await guessing;

    // Before: 27 s in the report (scrypt held libuv's pool). Now: under 1 s, or a few
    // times the upload alone where the machine is that busy.
    expect(uploadMs).toBeLessThan(Math.max(1000, 4 * aloneMs));
    const limited = replies.filter((reply) => reply.status === 429);
    expect(limited.length).toBeGreaterThan(200);
    // The burst of 30, plus what refills (one every 2 s) while the test runs.
    expect(replies.filter((reply) => reply.status === 401).length).toBeLessThanOrEqual(40);
    for (const reply of limited) expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited[0]?.json).toMatchObject({ error: { code: 'KOLEJKA_UNAVAILABLE' } });
  });

  it('hashes off the libuv thread pool: file reads are not queued behind hashes', async () => {
    const hash = await (await import('../src/accounts/passwords.js')).hashPassword(TEST_PASSWORD);
    let hashed = 0;
    const hashes = Array.from({ length: 40 }, () =>
      verifyPassword('wrong', hash).then(() => hashed++),
    );
    // libuv's pool is first-in first-out: with scrypt on it, this read would wait for ~36 hashes.
    await readFile(fileURLToPath(import.meta.url));
    const hashedBeforeRead = hashed;
    await Promise.all(hashes);
    expect(hashedBeforeRead).toBeLessThanOrEqual(4);
  });
});
