import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDetached } from '../src/daemon/detach.js';
import { removePidFile, writePidFile } from '../src/daemon/pid-file.js';

let dir: string;
const started: number[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-observer-detach-'));
});

afterEach(async () => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

describe('startDetached', () => {
  it('returns the pid once the daemon has written its pid file', async () => {
    const pidFile = path.join(dir, 'pid');
    const logFile = path.join(dir, 'log');
    const script = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, process.pid + '\\n'); console.log('up'); setInterval(() => {}, 1000);`;
    const pid = await startDetached({ argv: ['-e', script], pidFile, logFile });
    started.push(pid);
    expect(Number((await readFile(pidFile, 'utf8')).trim())).toBe(pid);
    expect(() => process.kill(pid, 0)).not.toThrow();
    await expect.poll(() => readFile(logFile, 'utf8')).toBe('up\n');
  });

  it('reports a daemon that dies at start-up, and one that never gets ready', async () => {
    const pidFile = path.join(dir, 'pid');
    await expect(startDetached({ argv: ['-e', 'process.exit(7)'], pidFile })).rejects.toThrow(
      /stopped at start-up \(exit code 7\); run without --detach/,
    );
    const slow = startDetached({
      argv: ['-e', 'setInterval(() => {}, 1000)'],
      pidFile,
      timeoutMs: 300,
    });
    await expect(slow).rejects.toThrow(/did not start within 300 ms; stopped it/);
  });
});

describe('pid file', () => {
  it('is removed only while it still names this process', async () => {
    const file = path.join(dir, 'run', 'pid');
    await writePidFile(file, 12345);
    await removePidFile(file, 54321);
    expect(await readFile(file, 'utf8')).toBe('12345\n');
    await removePidFile(file, 12345);
    await expect(readFile(file, 'utf8')).rejects.toThrow();
  });
});
