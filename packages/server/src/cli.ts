import { createRequire } from 'node:module';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

await yargs(hideBin(process.argv))
  .scriptName('kolejka-server')
  .usage('$0 <command> [options]\n\nThe Kolejka server: HTTP API, push channel and scheduler.')
  .demandCommand(1, 'Give a command; see --help for the list.')
  .strict()
  .version(version)
  .help()
  .parseAsync();
