import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { observerCall } from './support/raw-http.js';
import { TIME_SLACK } from '../../../test/support/time-slack.js';

const BIN = path.resolve(import.meta.dirname, '../bin/kolejka-observer.js');
const BUILT = existsSync(path.resolve(import.meta.dirname, '../dist/cli.js'));
if (!BUILT)
  console.warn(
    'kolejka-observer CLI tests skipped: run "pnpm --filter @kolejka/observer build" first',
  );

function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({
          status: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          stdout,
          stderr,
        });
      },
    );
  });
}

describe.skipIf(!BUILT)('the kolejka-observer command', () => {
  let dir: string;
  let pid: number | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-observer-cli-'));
  });

  afterEach(async () => {
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already stopped
      }
    }
    pid = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('explains every option', async () => {
    const help = await cli(['--help']);
    expect(help.status).toBe(0);
    for (const option of [
      '--socket',
      '-s,',
      '--pid-file',
      '--detach',
      '--start-timeout',
      '--log-file',
      '--cgroup-root',
      '--cgroup-version',
      '--log-level',
      '--verbose',
      '--debug',
    ]) {
      expect(help.stdout).toContain(option);
    }
    expect(help.stdout).toContain('/var/run/kolejka/observer/socket');
  });

  it('refuses unknown options and bad environment with a message', async () => {
    const unknown = await cli(['--sokcet', 'x']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain('sokcet');
    const level = await cli(['-s', path.join(dir, 'socket')], { KOLEJKA_LOG_LEVEL: 'loud' });
    expect(level.status).toBe(1);
    expect(level.stderr).toContain('KOLEJKA_LOG_LEVEL');
    const timeout = await cli([
      '-s',
      path.join(dir, 'socket'),
      '--detach',
      '--start-timeout',
      'soon',
    ]);
    expect(timeout.status).toBe(1);
    expect(timeout.stderr).toContain('--start-timeout');
  });

  it('detaches, serves the socket (mode 0777), and on SIGTERM removes the socket and pid file', async () => {
    const socketPath = path.join(dir, 'run', 'socket');
    const pidFile = path.join(dir, 'run', 'pid');
    const logFile = path.join(dir, 'log');
    const started = await cli([
      '-s',
      socketPath,
      '--pid-file',
      pidFile,
      '--detach',
      '--log-file',
      logFile,
      // Emulated (the VM check), a node process may take longer than the 15 s default to start.
      '--start-timeout',
      `${15 * TIME_SLACK}s`,
    ]);
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    pid = Number(started.stdout.trim());
    expect(Number((await readFile(pidFile, 'utf8')).trim())).toBe(pid);
    expect((await stat(socketPath)).mode & 0o777).toBe(0o777);
    const reply = await observerCall(socketPath, '');
    expect(reply.json).toEqual({ sessions: 0, status: 'ok' });

    const again = await cli(['-s', socketPath, '--pid-file', path.join(dir, 'pid2')]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('another observer is already listening');

    process.kill(pid, 'SIGTERM');
    await expect.poll(() => existsSync(socketPath), { timeout: 5000 }).toBe(false);
    await expect.poll(() => existsSync(pidFile), { timeout: 5000 }).toBe(false);
    const log = await readFile(logFile, 'utf8');
    expect(log).toContain('"message":"observer listening"');
    expect(log).toContain('"message":"observer stopped"');
  });
});
