import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TS_NODE_ARGS } from './ts-loader.js';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface CliProcess {
  process: ChildProcessWithoutNullStreams;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

/** Runs `kolejka-server ARGS` from the sources in a separate Node process. */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [...TS_NODE_ARGS, cli, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, exited, stdout: () => stdout, stderr: () => stderr };
}

export interface ServerProcess extends CliProcess {
  url: string;
}

/** `kolejka-server serve --port 0 …`; resolves with its URL once it listens. */
export async function spawnServer(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<ServerProcess> {
  const child = spawnCli(['serve', '--port', '0', ...args], env);
  const lines = createInterface({ input: child.process.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.process.kill('SIGKILL');
      reject(new Error(`the server did not start: ${child.stderr()}`));
    }, timeoutMs);
    lines.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { listening?: string };
        if (parsed.listening !== undefined) {
          clearTimeout(timer);
          resolve(parsed.listening);
        }
      } catch {
        // Not the listening line.
      }
    });
    void child.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? signal}): ${child.stderr()}`));
    });
  });
  return { ...child, url };
}
