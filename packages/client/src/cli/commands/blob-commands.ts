import type { Argv } from 'yargs';
import type { Runner } from '../runner.js';
import type { GlobalArgs } from '../session.js';

const hashArg = {
  type: 'string',
  demandOption: true,
  describe: 'Blob hash (SHA-256, 64 hex digits)',
} as const;

export function blobCommands(run: Runner) {
  return {
    command: 'blob <command>',
    describe: 'Blobs (file contents by SHA-256): put, get, delete',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .command(
          'put <file>',
          'Upload a file unless the server already holds it for you; prints its hash',
          (command) =>
            command.positional('file', {
              type: 'string',
              demandOption: true,
              describe: 'Local file',
            }),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              const blob = await client.putBlob(argv.file, session.transfer());
              session.progress.stop();
              session.output.value(blob.hash, {
                hash: blob.hash,
                size: blob.size,
                uploaded: blob.isUploaded,
              });
            }),
        )
        .command(
          'get <hash> <path>',
          'Download a blob to a file (checked against its hash; nothing is left behind on failure)',
          (command) =>
            command
              .positional('hash', hashArg)
              .positional('path', { type: 'string', demandOption: true, describe: 'Target file' }),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              const blob = await client.getBlob(argv.hash, argv.path, session.transfer());
              session.progress.stop();
              session.output.info(`${blob.hash} → ${blob.path} (${blob.size} bytes)`, blob);
            }),
        )
        .command(
          'delete <hash>',
          'Drop your references to a blob (the server deletes the bytes when nothing names them)',
          (command) => command.positional('hash', hashArg),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              await client.deleteBlob(argv.hash, { signal: session.io.signal });
              session.output.info(`${argv.hash} deleted`, { hash: argv.hash, deleted: true });
            }),
        )
        .demandCommand(1, 'Give a blob command: put, get or delete'),
    handler: () => undefined,
  };
}
