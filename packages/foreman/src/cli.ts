import { createRequire } from 'node:module';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

await yargs(hideBin(process.argv))
  .scriptName('kolejka-foreman')
  .usage(
    '$0 <command> [options]\n\nThe Kolejka foreman: the node daemon that runs tasks for a server.',
  )
  .demandCommand(1, 'Give a command; see --help for the list.')
  .strict()
  .version(version)
  .help()
  .parseAsync();
