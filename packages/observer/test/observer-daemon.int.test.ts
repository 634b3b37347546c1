import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMemory, parseTime } from '@kolejka/spec';
import { PROCESSES_LEAF } from '../src/daemon/processes-leaf.js';
import { createObserverServer, type Cgroups, type ObserverServer } from '../src/index.js';
import { realCgroups, testCgroupPath } from './support/cgroup-env.js';
import { TIME_SLACK } from '../../../test/support/time-slack.js';
import { ensureNativeAddon } from './support/native-addon.js';
import { ObserverChild } from './support/observer-child.js';

const detected = await realCgroups('v1');
const real = detected.cgroups === undefined ? await realCgroups('v2') : detected;
if (real.cgroups === undefined)
  console.warn(`observer daemon integration tests skipped: ${detected.reason}; ${real.reason}`);

const MiB = 1024 * 1024;

const debugLogger = {
  error: (message: string, meta?: object) => console.error('error', message, meta),
  warn: (message: string, meta?: object) => console.error('warn', message, meta),
  info: (message: string, meta?: object) => console.error('info', message, meta),
  debug: (message: string, meta?: object) => console.error('debug', message, meta),
  child: () => debugLogger,
};

describe.skipIf(real.cgroups === undefined)(
  'the observer daemon on real cgroups, callers by SO_PEERCRED',
  () => {
    const cgroups = real.cgroups as Cgroups;
    const parentPath = testCgroupPath('daemon');
    // Where the callers live. On v1 the test cgroup itself. On v2 a cgroup that gives its
    // children controllers may hold no processes (moving one in fails with EBUSY): callers
    // live in the processes leaf, as a container's processes do once it has a session.
    const callerPath = cgroups.version === 'v2' ? `${parentPath}/${PROCESSES_LEAF}` : parentPath;
    const children: ObserverChild[] = [];
    let dir: string;
    let socketPath: string;
    let server: ObserverServer;

    /** A child process placed in the test cgroup before it says anything to the daemon. */
    async function child(): Promise<ObserverChild> {
      const process = new ObserverChild(socketPath);
      children.push(process);
      await cgroups.open(callerPath).movePid(process.pid);
      return process;
    }

    beforeAll(async () => {
      ensureNativeAddon();
      dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-observer-daemon-'));
      socketPath = path.join(dir, 'socket');
      await cgroups.create(parentPath);
      if (callerPath !== parentPath) await cgroups.create(callerPath, { controllers: [] });
      server = createObserverServer({
        socketPath,
        cgroups,
        ...(process.env.KOLEJKA_TEST_DEBUG === '1' ? { logger: debugLogger } : {}),
      });
      await server.listen();
    });

    afterAll(async () => {
      for (const process of children) process.kill();
      await server?.close();
      await cgroups.open(parentPath).remove();
      await rm(dir, { recursive: true, force: true });
    });

    it('OOM-kills an attached allocation at 64M; stats show the peak; wrong secret is 403; stats after close', async () => {
      const judge = await child();
      const opened = await judge.call('open');
      expect(opened.status).toBe(200);
      const { session_id: id, secret } = opened.json as { session_id: string; secret: string };
      const sessionPath = `${parentPath}/kolejka_observer_${id}`;
      expect(await cgroups.pathOfPid(judge.pid)).toBe(callerPath);
      expect(await cgroups.open(sessionPath).exists()).toBe(true);

      expect(
        (
          await judge.call('limits', {
            session_id: id,
            secret,
            limits: { memory: '64M', swap: '0b' },
          })
        ).status,
      ).toBe(200);
      expect(
        (await judge.call('limits', { session_id: id, secret: 'f'.repeat(64), limits: {} })).status,
      ).toBe(403);

      const runner = await child();
      const attached = await runner.send({ op: 'attach-raw', body: opened.json });
      expect(attached.firstChunk).toMatch(
        /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n\{"status":"ok"\}$/,
      );
      // The daemon identified the runner by SO_PEERCRED: no pid was sent.
      expect(await cgroups.pathOfPid(runner.pid)).toBe(sessionPath);

      void runner.send({ op: 'alloc', mib: 256 }).catch(() => undefined);
      const exit = await runner.exited;
      expect(exit.signal).toBe('SIGKILL');
      expect(await cgroups.open(sessionPath).readOomKills()).toBeGreaterThanOrEqual(1);

      const stats = (await judge.call('stats', { session_id: id })).json as {
        memory: { max_usage: string };
        time: string;
      };
      const peak = parseMemory(stats.memory.max_usage);
      expect(peak).toBeGreaterThan(60 * MiB);
      expect(peak).toBeLessThanOrEqual(64 * MiB);
      expect(parseTime(stats.time)).toBeGreaterThan(0);

      expect((await judge.call('close', { session_id: id, secret })).json).toEqual({
        status: 'ok',
      });
      expect(await cgroups.open(sessionPath).exists()).toBe(false);
      const after = (await judge.call('stats', { session_id: id })).json as {
        memory: { max_usage: string };
      };
      expect(parseMemory(after.memory.max_usage)).toBe(peak);
      expect((await judge.call('close', { session_id: id, secret })).json).toEqual({
        status: 'ok',
      });
    });

    it('kills a sleeper within 100 ms of a 0.5 s deadline and closes the session', async () => {
      // Scaled under emulation (the VM check), where open, limits and attach alone take
      // longer than 0.5 s and the sleeper would find its session already closed.
      const deadlineMs = 500 * TIME_SLACK;
      const precisionMs = 100 * TIME_SLACK;
      // Both processes exist before the session does: the deadline counts from `open`.
      const judge = await child();
      const sleeper = await child();
      await judge.call('');
      await sleeper.call('');
      const opened = await judge.call('open');
      const openedAtMs = performance.now();
      const { session_id: id, secret } = opened.json as { session_id: string; secret: string };
      expect(
        (
          await judge.call('limits', {
            session_id: id,
            secret,
            limits: { time: `${deadlineMs / 1000}s` },
          })
        ).status,
      ).toBe(200);

      const attached = await sleeper.send({ op: 'attach-raw', body: { session_id: id, secret } });
      expect(attached.firstChunk).toMatch(/^HTTP\/1\.1 200 /);
      expect(await cgroups.pathOfPid(sleeper.pid)).toBe(`${parentPath}/kolejka_observer_${id}`);
      await sleeper.send({ op: 'hold' });
      const exit = await sleeper.exited;
      const elapsedMs = exit.atMs - openedAtMs;
      expect(exit.signal).toBe('SIGKILL');
      expect(elapsedMs).toBeGreaterThan(deadlineMs - precisionMs);
      expect(elapsedMs).toBeLessThan(deadlineMs + precisionMs);
      const session = server.sessions.get(id);
      expect(session?.closeReason).toBe('deadline');
      expect((session?.closedAtMs ?? 0) - (session?.createdAtMs ?? 0)).toBeLessThan(
        deadlineMs + precisionMs,
      );

      const stats = (await judge.call('stats', { session_id: id })).json as { time: string };
      expect(Math.abs(parseTime(stats.time) * 1000 - deadlineMs)).toBeLessThan(precisionMs);
      expect((await judge.call('close', { session_id: id, secret })).status).toBe(200);
      expect((await judge.call('limits', { session_id: id, secret, limits: {} })).status).toBe(404);
    });

    it('nests a session opened from inside a session, and attach refuses processes from elsewhere', async () => {
      const judge = await child();
      const runner = await child();
      const stranger = await child(); // in the test cgroup, not in the outer session
      const outer = (await judge.call('open')).json as { session_id: string; secret: string };
      const outerPath = `${parentPath}/kolejka_observer_${outer.session_id}`;
      expect((await runner.call('attach', { ...outer })).status).toBe(200);
      expect(await cgroups.pathOfPid(runner.pid)).toBe(outerPath);

      const inner = (await runner.call('open')).json as { session_id: string; secret: string };
      const innerPath = `${outerPath}/kolejka_observer_${inner.session_id}`;
      expect(await cgroups.open(innerPath).exists()).toBe(true);

      const refused = await stranger.call('attach', {
        session_id: inner.session_id,
        secret: inner.secret,
      });
      expect(refused.status).toBe(403);
      expect(JSON.stringify(refused.json)).toContain('parent cgroup');
      expect(await cgroups.pathOfPid(stranger.pid)).toBe(callerPath);

      // Closing the outer session kills what is inside it, nested sessions included.
      expect((await judge.call('close', { ...outer })).status).toBe(200);
      expect((await runner.exited).signal).toBe('SIGKILL');
      expect(await cgroups.open(outerPath).exists()).toBe(false);
      // The inner session's creator is gone and it is empty: housekeeping closes it.
      await server.sessions.housekeeping();
      expect(server.sessions.get(inner.session_id)?.closeReason).toBe('abandoned');
    });
  },
);
