import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_PASSWORD, type TestServer } from './support/test-server.js';

const script = fileURLToPath(new URL('./support/original_client_flow.py', import.meta.url));

// The flow needs Python 3 with `requests` (the original client's HTTP library).
const probe = spawnSync('python3', ['-c', 'import requests'], { encoding: 'utf8' });
const skipReason =
  probe.status === 0
    ? undefined
    : 'skipped: needs python3 with the requests module (apt-get install python3-requests)';
if (skipReason !== undefined) console.log(`compat-python: ${skipReason}`);

describe.skipIf(skipReason !== undefined)(
  'a Python requests session, as the original client',
  () => {
    let t: TestServer;
    let workdir: string;
    beforeAll(async () => {
      t = await startTestServer();
      workdir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-server-python-'));
    });
    afterAll(async () => {
      await t.close();
      await rm(workdir, { recursive: true, force: true });
    });

    it('puts a task, dequeues it as a foreman, posts and polls the result', async () => {
      const output = await new Promise<string>((resolve, reject) => {
        execFile(
          'python3',
          [script, `${t.url}/`, workdir, 'alice', 'foreman', TEST_PASSWORD],
          { timeout: 60_000 },
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
        );
      });
      const report = JSON.parse(output) as Record<string, unknown>;
      const data = Buffer.alloc(256 * 4096);
      for (let i = 0; i < data.length; i++) data[i] = i % 256;
      const dataHash = createHash('sha256').update(data).digest('hex');
      const task = report.task as { id: string; files: Record<string, { reference: string }> };
      expect(report.settings).toMatchObject({ blob_hash_algorithm: 'sha256', status: 'OK' });
      expect(task.files['input/data.bin']).toEqual({ reference: dataHash });
      expect(report.task_again_files).toEqual(task.files);
      expect(report.pending).toBe('404');
      expect(report.dequeued).toEqual([task.id]);
      expect(report.input_sha256).toBe(dataHash);
      expect(report.second_result).toMatch(/^FAIL: .*different result/);
      expect(report.console).toBe('hello\n');
      expect(report.result).toMatchObject({
        id: task.id,
        result: 0,
        files: { 'console.txt': { path: 'console.txt' } },
      });
      expect(report.after_delete).toBe('404');
    });
  },
);
