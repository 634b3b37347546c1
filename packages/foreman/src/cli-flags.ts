import type { Argv } from 'yargs';
import { lastFlagText, parseFlag } from '@kolejka/cli-kit/flag-values';
import { LOG_LEVELS } from '@kolejka/cli-kit/log-levels';
import { limitsFromFlags, withLimitFlags } from '@kolejka/cli-kit/limit-flags';
import { parseCount, parseMemory } from '@kolejka/spec';
import { splitList } from './foreman-conf.js';
import type { ForemanOptions } from './options.js';

const CAPACITY_GROUP =
  'Capacity (default: the machine; cpus, memory and GPUs can only be lowered):';

export function withForemanFlags<T>(yargs: Argv<T>) {
  const built = yargs
    .option('server', {
      type: 'string',
      describe:
        'Server base URL(s) of one system, comma-separated (failover) [env KOLEJKA_SERVER; kolejka.conf; default http://127.0.0.1:8000]',
    })
    .option('token', {
      type: 'string',
      describe:
        'API token of a processor user [env KOLEJKA_TOKEN; client.json; or kolejka.conf username/password]',
    })
    .option('config-file', {
      type: 'string',
      describe: "The original's kolejka.conf to read instead of searching",
    })
    .option('config', { type: 'string', describe: 'Client section of kolejka.conf (credentials)' })
    .option('id', {
      type: 'string',
      describe:
        'Stable foreman id; a restart with the same id keeps its tasks [env KOLEJKA_FOREMAN_ID; default the host name]',
    })
    .option('tags', {
      type: 'string',
      describe: 'Configured tags, comma-separated [env KOLEJKA_FOREMAN_TAGS]',
    })
    .option('auto-tags', {
      type: 'boolean',
      describe:
        'Add cpu:, cpus: (the --cpus given, else the machine), gpu:, hostname:, kernel: tags (--no-auto-tags: off) [default true]',
    })
    .option('concurrency', {
      type: 'string',
      alias: 'concurency',
      describe:
        'Most tasks at once, beyond what capacity allows [env KOLEJKA_FOREMAN_CONCURRENCY; default: capacity only]',
    })
    .option('temp', {
      type: 'string',
      describe:
        'Work dirs, blob cache and result spool [env KOLEJKA_FOREMAN_TEMP; default /var/tmp/kolejka-foreman]',
    })
    .option('pull', {
      type: 'boolean',
      describe: 'Pull every image before its task (default: only when missing)',
    })
    .option('output-limit', {
      type: 'string',
      describe: "Cap of each task's stdout and stderr [default 64M]",
    })
    .option('blob-cache', {
      type: 'string',
      describe: 'Size budget of the input blob cache [default 1G]',
    })
    .option('container-prefix', {
      type: 'string',
      describe: 'Start of task container names [default kolejka-worker-]',
    })
    .option('evict-foreign-images', {
      type: 'boolean',
      describe: 'With --image: also remove images this foreman did not pull',
    })
    .option('interval', {
      type: 'string',
      hidden: true,
      describe: 'Ignored: work is pushed (the original polled)',
    })
    .option('print-config', {
      type: 'boolean',
      describe: 'Print the effective settings as JSON and exit',
    })
    .option('log-level', {
      type: 'string',
      choices: LOG_LEVELS,
      describe: 'Log level [env KOLEJKA_LOG_LEVEL; default info]',
    })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'Same as --log-level info' })
    .option('debug', { alias: 'd', type: 'boolean', describe: 'Same as --log-level debug' });
  // Every limit flag, as capacity (the original foreman's limit flags, reference §6).
  return withLimitFlags(built, { group: CAPACITY_GROUP, meaning: 'capacity' });
}

/** ForemanOptions from parsed flags (a bad value is a KOLEJKA_VALIDATION error naming the flag). */
export function optionsFromFlags(argv: Record<string, unknown>): ForemanOptions {
  const options: ForemanOptions = { limits: limitsFromFlags(argv) };
  const text = (name: string): string | undefined => lastFlagText(argv[name]);
  const server = text('server');
  const token = text('token');
  const configFile = text('config-file');
  const config = text('config');
  const id = text('id');
  const tags = text('tags');
  const temp = text('temp');
  const prefix = text('container-prefix');
  if (server !== undefined) options.server = server;
  if (token !== undefined) options.token = token;
  if (configFile !== undefined) options.configFile = configFile;
  if (config !== undefined) options.config = config;
  if (id !== undefined) options.id = id;
  if (tags !== undefined) options.tags = splitList(tags);
  if (temp !== undefined) options.tempDir = temp;
  if (prefix !== undefined) options.containerNamePrefix = prefix;
  if (typeof argv['auto-tags'] === 'boolean') options.autoTags = argv['auto-tags'];
  if (typeof argv.pull === 'boolean') options.pull = argv.pull;
  if (typeof argv['evict-foreign-images'] === 'boolean')
    options.evictForeignImages = argv['evict-foreign-images'];
  const concurrency = parseFlag('concurrency', argv.concurrency, parseCount);
  if (concurrency !== undefined) options.concurrency = concurrency;
  const outputLimit = parseFlag('output-limit', argv['output-limit'], parseMemory);
  if (outputLimit !== undefined) options.outputLimitBytes = outputLimit;
  const blobCache = parseFlag('blob-cache', argv['blob-cache'], parseMemory);
  if (blobCache !== undefined) options.blobCacheBytes = blobCache;
  return options;
}
