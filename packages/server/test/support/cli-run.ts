import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kolejka-server ARGS` in this process with captured streams. */
export async function runCliCaptured(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string; shutdown?: AbortSignal } = {},
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const code = await runCli(args, {
    stdout,
    stderr,
    stdin,
    env: { KOLEJKA_LOG_LEVEL: 'error', ...(options.env ?? {}) },
    shutdown: options.shutdown ?? new AbortController().signal,
  });
  return { code, stdout: out, stderr: err };
}
