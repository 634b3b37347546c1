import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogger } from './support/capture-logger.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/**
 * A real full disk: the blob directory is a 256 KiB tmpfs mounted for the test (needs
 * root or CAP_SYS_ADMIN; the test is skipped, saying so, where mounting is refused).
 */
let mountDir = '';
let mountError: string | undefined;

beforeAll(async () => {
  mountDir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-disk-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountDir], {
      stdio: 'pipe',
    });
  } catch (error) {
    mountError = String((error as { stderr?: Buffer }).stderr ?? error).trim();
  }
});
afterAll(async () => {
  if (mountError === undefined) execFileSync('umount', [mountDir]);
  await rm(mountDir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  body: string;
  isReusedSocket: boolean;
}

function send(agent: Agent, url: string, method: string, token: string, body?: Buffer) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined
            ? {}
            : { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, isReusedSocket: req.reusedSocket }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('a full disk', () => {
  it('names ENOSPC in the 5xx, logs it, and answers the next request on the connection', async (context) => {
    if (mountError !== undefined) context.skip(`cannot mount a tmpfs here: ${mountError}`);
    const { logger, lines } = captureLogger();
    let t: TestServer | undefined;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      t = await startTestServer({ logger, blobsDir: mountDir, users: { alice: ['client'] } });
      const token = t.users.alice?.token ?? '';
      const upload = await send(
        agent,
        `${t.url}/api/v1/blobs`,
        'POST',
        token,
        randomBytes(1 << 20),
      );
      expect(upload.status).toBe(507);
      expect(JSON.parse(upload.body)).toMatchObject({
        error: { code: 'KOLEJKA_UNAVAILABLE', message: expect.stringContaining('ENOSPC') },
      });
      const next = await send(agent, `${t.url}/api/v1/me`, 'GET', token);
      expect(next).toMatchObject({ status: 200, isReusedSocket: true });
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: 'request failed',
          meta: expect.objectContaining({ cause: 'ENOSPC' }),
        }),
      );
    } finally {
      agent.destroy();
      await t?.close();
    }
  });
});
