import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DetachOptions {
  /** The daemon's command line (node's own flags, the script, its arguments without --detach). */
  argv: string[];
  /** The daemon writes its pid here once it listens: that is how success is recognised. */
  pidFile: string;
  /** stdout and stderr of the daemon are appended here; default: discarded. */
  logFile?: string;
  /** Default 15000 ms. */
  timeoutMs?: number;
}

/**
 * Starts the daemon again as a detached process and waits until it has written its pid file
 * (it listens by then). Node cannot fork(), so this replaces the original's double fork.
 */
export async function startDetached(options: DetachOptions): Promise<number> {
  const output = options.logFile === undefined ? 'ignore' : openSync(options.logFile, 'a');
  const child = spawn(process.execPath, options.argv, {
    detached: true,
    stdio: ['ignore', output, output],
  });
  if (typeof output === 'number') closeSync(output);
  let exit: string | undefined;
  child.once('exit', (code, signal) => {
    exit = signal === null ? `exit code ${code}` : `signal ${signal}`;
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the detached observer');
  const deadline = performance.now() + (options.timeoutMs ?? 15_000);
  while (performance.now() < deadline) {
    if (exit !== undefined) {
      const where =
        options.logFile === undefined
          ? 'run without --detach to see why'
          : `see ${options.logFile}`;
      throw new Error(`the detached observer stopped at start-up (${exit}); ${where}`);
    }
    const written = await readFile(options.pidFile, 'utf8').catch(() => '');
    if (Number(written.trim()) === pid) return pid;
    await sleep(50);
  }
  // Not ready in time: do not leave a half-started daemon behind.
  child.kill('SIGTERM');
  throw new Error(
    `the detached observer (pid ${pid}) did not start within ${options.timeoutMs ?? 15_000} ms; stopped it`,
  );
}
