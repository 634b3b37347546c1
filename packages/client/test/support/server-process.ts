import { runCliCaptured } from '../../../server/test/support/cli-run.js';
import { spawnServer } from '../../../server/test/support/server-process.js';
import { tempDir } from './fixtures.js';

export interface ServerProcess {
  url: string;
  /** A client's token. */
  token: string;
  close(): Promise<void>;
}

/**
 * `kolejka-server serve` in a process of its own (from the sources, through the server's
 * test support), so what this process measures is the client alone.
 */
export async function startServerProcess(): Promise<ServerProcess> {
  const home = await tempDir('kolejka-test-client-server-');
  const admin = async (args: string[]): Promise<string> => {
    const run = await runCliCaptured([...args, '--home', home], { stdin: '' });
    if (run.code !== 0) throw new Error(`kolejka-server ${args.join(' ')}: ${run.stderr}`);
    return run.stdout.trim();
  };
  await admin(['user', 'add', 'alice', '--role', 'client']);
  const token = await admin(['token', 'create', 'alice']);
  const server = await spawnServer(['--home', home], { KOLEJKA_LOG_LEVEL: 'warn' });
  return {
    url: server.url,
    token,
    async close() {
      server.process.kill('SIGTERM');
      await server.exited;
    },
  };
}
