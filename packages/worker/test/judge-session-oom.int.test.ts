import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObserverServer, detectCgroups, type ObserverServer } from '@kolejka/observer';
import { OBSERVER_SOCKET_PATH, readResult } from '@kolejka/spec';
import { createWorker } from '../src/worker.js';
import { scratch, writeTaskDir } from './support/fixtures.js';

// A judge task whose observer session is OOM-killed: on cgroup v2 memory.events and
// Docker's OOMKilled count the container's subtree, so the judge (exit 1, far below its own
// limit) was reported memory_limit with the session's memory failures.
const socketInUse = await stat(OBSERVER_SOCKET_PATH).then(
  () => true,
  () => false,
);
const reason =
  process.getuid?.() !== 0
    ? 'needs root (cgroups)'
    : socketInUse
      ? `an observer already serves ${OBSERVER_SOCKET_PATH}`
      : undefined;
if (reason !== undefined) console.warn(`judge session test skipped: ${reason}`);

describe.skipIf(reason !== undefined)('a judge whose session was OOM-killed', () => {
  let server: ObserverServer;
  let tmp: Awaited<ReturnType<typeof scratch>>;
  const worker = createWorker();

  beforeAll(async () => {
    tmp = await scratch('judge-session');
    server = createObserverServer({
      socketPath: OBSERVER_SOCKET_PATH,
      cgroups: await detectCgroups(),
    });
    await server.listen();
  });

  afterAll(async () => {
    await worker.close();
    await server?.close();
    await tmp?.cleanup();
  });

  it("is reported by its own exit, not as memory_limit; the session's failures stay out", async () => {
    const judge = await readFile(path.join(import.meta.dirname, 'support/session-oom-judge.py'));
    const taskDir = await writeTaskDir(
      path.join(tmp.dir, 'task'),
      {
        image: 'kolejka-test/gcc:bookworm',
        args: ['python3', 'judge.py'],
        files: { 'judge.py': { path: 'judge.py' } },
        limits: { memory: '512M', swap: '0b', time: '120s', network: false },
        stdout: 'console.txt',
        stderr: 'console.txt',
      },
      { 'judge.py': judge.toString() },
    );
    const resultDir = path.join(tmp.dir, 'result');
    await worker.execute(taskDir, resultDir, { tempDir: tmp.dir });
    const result = await readResult(resultDir);
    const console = await readFile(path.join(resultDir, 'console.txt'), 'utf8');
    // The solution was OOM-killed in its 64M session (SIGKILL: -9), the judge exited 1.
    expect(console).toContain('limits 200');
    expect(console).toContain('solution -9');
    expect(result.result).toBe(1);
    expect(result.termination?.reason).toBe('exited');
    expect(result.stats.memory.failures ?? 0).toBe(0);
    expect(result.stats.memory.max_usage).toBeLessThan(256 * 1024 * 1024);
  });
});
