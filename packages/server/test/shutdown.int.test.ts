import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTokenId, newTokenSecret, sha256Hex } from '../src/accounts/tokens.js';
import { startServer, type RunningServer } from '../src/server.js';
import { api } from './support/http-client.js';

let home: string;
let server: RunningServer;
let token: string;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-server-shutdown-'));
  server = await startServer({ home, port: 0 });
  const { store } = server;
  await store.createUser({ username: 'alice', roles: ['client'], createdAt: new Date() });
  token = newTokenSecret();
  await store.createToken({
    id: newTokenId(),
    username: 'alice',
    tokenHash: sha256Hex(token),
    createdAt: new Date(),
  });
});
afterAll(async () => {
  await server.close();
  await rm(home, { recursive: true, force: true });
});

describe('graceful shutdown', () => {
  it('stops accepting, finishes the request in flight, then closes the storage', async () => {
    const content = Buffer.alloc(64 * 1024, 7);
    const hash = createHash('sha256').update(content).digest('hex');
    // A slow upload: half now, half after close() has begun.
    let status = 0;
    const upload = new Promise<void>((resolve, reject) => {
      const req = request(
        `${server.url}/api/v1/blobs/${hash}`,
        {
          method: 'PUT',
          headers: { Authorization: `Bearer ${token}`, 'Content-Length': String(content.length) },
        },
        (res) => {
          status = res.statusCode ?? 0;
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.write(content.subarray(0, 32 * 1024));
      void sleep(300).then(() => req.end(content.subarray(32 * 1024)));
    });
    await sleep(100);
    const closing = server.close();
    await sleep(50);
    await expect(api(server.url, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
    await upload;
    expect(status).toBe(201);
    await closing;
    const { store } = server;
    await expect(store.getUser('alice')).rejects.toThrow();
    await server.close(); // idempotent
  });
});
