import { spawn, type ChildProcess } from 'node:child_process';

/** A child process that waits on stdin before running its script, so a test can move it into a cgroup first. */
export interface HeldProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Lets the script run (writes a line to its stdin). */
  release(): void;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
  /** SIGKILLs it if it still runs. */
  kill(): void;
}

/** Spawns `sh -c 'read _ && { <script> }'`: the shell blocks until `release()`. */
export function spawnHeld(script: string): HeldProcess {
  const child = spawn('sh', ['-c', `read _ && {\n${script}\n}`], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  if (child.pid === undefined) throw new Error('spawn failed');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>(
    (resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal, atMs: performance.now() }));
    },
  );
  return {
    child,
    pid: child.pid,
    release: () => {
      child.stdin?.end('go\n');
    },
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
