import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/main.js';
import { TS_NODE_ARGS } from '../../../server/test/support/ts-loader.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: Record<string, string>;
  stdin?: string;
  signal?: AbortSignal;
  /** Where /etc is for the kolejka.conf search (a temp dir, so the machine's is not read). */
  etcDir?: string;
}

/** `kolejka-client ARGS` in this process, with captured streams and a given environment. */
export async function runClient(args: string[], options: CliRunOptions = {}): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const code = await runCli(
    args,
    {
      stdout,
      stderr,
      stdin,
      env: options.env ?? {},
      signal: options.signal ?? new AbortController().signal,
    },
    options.etcDir === undefined ? {} : { etcDir: options.etcDir },
  );
  return { code, stdout: out, stderr: err };
}

const cliSource = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** `kolejka-client ARGS` as a real process, run from the sources. */
export function spawnClient(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TS_NODE_ARGS, cliSource, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', ...(options.env ?? {}) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr });
    });
  });
}
