import { createHash } from 'node:crypto';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { api } from '../test/support/http-client.js';
import { startTestServer, type TestServer } from '../test/support/test-server.js';

/**
 * Costs of the main HTTP operations against a bare round trip to /healthz on the same
 * server (the baseline): `npx vitest bench --run --project server` from the repository
 * root. Real server on 127.0.0.1, real SQLite file, one client at a time.
 */
let t: TestServer;
let token = '';
let processor = '';
let hash = '';
const task = () => ({
  task: {
    image: 'kolejka-test/busybox:latest',
    args: ['sh', 'run.sh'],
    limits: { memory: '64M', time: '10s' },
    files: { 'run.sh': { reference: hash } },
  },
});

beforeAll(async () => {
  t = await startTestServer({ users: { alice: ['client'], foreman: ['processor'] } });
  token = t.users.alice?.token ?? '';
  processor = t.users.foreman?.token ?? '';
  const content = 'echo bench\n';
  hash = createHash('sha256').update(content).digest('hex');
  await api(t.url, `/api/v1/blobs/${hash}`, { method: 'PUT', token, body: content });
});
afterAll(async () => {
  await t.close();
});

describe('HTTP API', () => {
  bench('baseline: GET /healthz', async () => {
    await api(t.url, '/healthz');
  });
  bench('GET /api/v1/me (token lookup)', async () => {
    await api(t.url, '/api/v1/me', { token });
  });
  bench('POST /api/v1/tasks (validate, check file, store)', async () => {
    await api(t.url, '/api/v1/tasks', { token, json: task() });
  });
  const kibibyte = Buffer.alloc(1024, 1);
  const kibibyteHash = createHash('sha256').update(kibibyte).digest('hex');
  bench('PUT /api/v1/blobs/:hash (1 KiB, deduplicated)', async () => {
    await api(t.url, `/api/v1/blobs/${kibibyteHash}`, {
      method: 'PUT',
      token: processor,
      body: kibibyte,
    });
  });
  // Runs after the submissions above, so every call claims one of their tasks.
  bench('POST /queue/dequeue/ (original foreman, claims one task)', async () => {
    await api(t.url, '/queue/dequeue/', {
      token: processor,
      body: '{"concurency": 1, "limits": {"cpus": 4}, "tags": []}',
    });
  });
});
