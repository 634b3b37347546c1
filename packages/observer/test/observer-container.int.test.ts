import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OBSERVER_SOCKET_PATH, parseMemory, parseTime } from '@kolejka/spec';
import { createObserverServer, detectCgroups, type ObserverServer } from '../src/index.js';
import { requireCgroups } from './support/cgroup-env.js';
import { ensureNativeAddon } from './support/native-addon.js';

const IMAGE = 'kolejka-test/gcc:bookworm';
const MiB = 1024 * 1024;

function run(
  command: string,
  args: string[],
  timeoutMs = 120_000,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, maxBuffer: 16 * MiB },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ status, stdout, stderr: stderr || (error?.message ?? '') });
      },
    );
  });
}

/** Docker and the local gcc image, or why the test cannot run. */
async function dockerReady(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (cgroups)';
  if ((await run('docker', ['version', '--format', '{{.Server.Version}}'], 30_000)).status !== 0) {
    return 'no Docker engine answers';
  }
  if ((await run('docker', ['image', 'inspect', IMAGE], 30_000)).status === 0) return undefined;
  if (process.env.KOLEJKA_SKIP_PREPARE_DOCKER === '1') return `image ${IMAGE} is missing`;
  // The image is built offline by the project's script (idempotent), as the Docker projects' setup does.
  const script = path.resolve(import.meta.dirname, '../../../scripts/prepare-docker.sh');
  const prepared = await run(script, [], 15 * 60_000);
  return prepared.status === 0 ? undefined : `${script} failed: ${prepared.stderr.slice(-500)}`;
}

const notReady = await dockerReady();
if (notReady !== undefined) requireCgroups({ reason: notReady });
if (notReady !== undefined) console.warn(`observer container test skipped: ${notReady}`);

describe.skipIf(notReady !== undefined)(
  'a judge inside a real container talks to the observer',
  () => {
    const name = `kolejka-test-observer-${randomBytes(4).toString('hex')}`;
    let dir: string;
    let server: ObserverServer;

    beforeAll(async () => {
      ensureNativeAddon();
      dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-observer-container-'));
      await chmod(dir, 0o755);
      server = createObserverServer({
        socketPath: path.join(dir, 'socket'),
        cgroups: await detectCgroups(),
      });
      await server.listen();
    });

    afterAll(async () => {
      await run('docker', ['rm', '--force', name], 60_000);
      await server?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('OOM-kills a 256 MiB solution in a 64M session, kills a sleeper at 1 s, stats survive close', async () => {
      const script = path.resolve(import.meta.dirname, 'support/container-judge.py');
      const container = await run('docker', [
        'run',
        '--name',
        name,
        '--network',
        'none',
        '--volume',
        `${server.socketPath}:${OBSERVER_SOCKET_PATH}`,
        '--volume',
        `${script}:/judge.py:ro`,
        IMAGE,
        'python3',
        '/judge.py',
      ]);
      expect(container.stderr).toBe('');
      expect(container.status).toBe(0);
      const result = JSON.parse(container.stdout.trim().split('\n').pop() ?? '{}') as {
        open: number;
        limits: number;
        oom_returncode: number;
        oom_stats: { memory: { max_usage: string }; time: string };
        oom_close: number;
        oom_stats_after_close: [number, { memory: { max_usage: string } }];
        time_returncode: number;
        time_elapsed: number;
        time_stats_after_deadline: [number, { time: string }];
        time_close: [number, { status: string }];
        sessions_left: number;
      };
      expect(result.open).toBe(200);
      expect(result.limits).toBe(200);
      // The solution died of SIGKILL (the OOM killer); the judge outside the session lived on.
      expect(result.oom_returncode).toBe(-9);
      const peak = parseMemory(result.oom_stats.memory.max_usage);
      expect(peak).toBeGreaterThan(60 * MiB);
      expect(peak).toBeLessThanOrEqual(64 * MiB);
      expect(result.oom_close).toBe(200);
      expect(result.oom_stats_after_close[0]).toBe(200);
      expect(parseMemory(result.oom_stats_after_close[1].memory.max_usage)).toBe(peak);

      expect(result.time_returncode).toBe(-9);
      expect(result.time_elapsed).toBeGreaterThan(0.9);
      expect(result.time_elapsed).toBeLessThan(1.3);
      expect(result.time_stats_after_deadline[0]).toBe(200);
      expect(Math.abs(parseTime(result.time_stats_after_deadline[1].time) - 1)).toBeLessThan(0.1);
      expect(result.time_close).toEqual([200, { status: 'ok' }]);
      expect(result.sessions_left).toBe(0);
    });
  },
);
