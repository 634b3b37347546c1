import { confValue, type ClientEnv, type KolejkaConf, readKolejkaConf } from '@kolejka/client';
import {
  KolejkaError,
  LIMIT_KINDS,
  LIMIT_NAMES,
  isKolejkaError,
  parseBool,
  parseCount,
  parseLimitValue,
  parseMemory,
  type Limits,
} from '@kolejka/spec';

/** The role section of the original's `kolejka.conf` that configures a foreman (reference §8.2). */
export const FOREMAN_SECTION = 'foreman';

/** What the `[foreman]` section (or `[default]`, as a fallback) sets; absent keys are undefined. */
export interface ForemanConfSettings {
  /** The file read, when one was found. */
  file?: string;
  id?: string;
  tags?: string[];
  autoTags?: boolean;
  pull?: boolean;
  tempDir?: string;
  concurrency?: number;
  outputLimitBytes?: number;
  blobCacheBytes?: number;
  limits: Limits;
}

/** Reads a value, naming the file, section and key when it is bad. */
function parsed<T>(conf: KolejkaConf, key: string, parse: (text: string) => T): T | undefined {
  const found = confValue(conf, FOREMAN_SECTION, key);
  if (found === undefined) return undefined;
  try {
    return parse(found.value);
  } catch (error) {
    const why = isKolejkaError(error) ? error.message : String(error);
    throw new KolejkaError('KOLEJKA_VALIDATION', `${conf.file} [${found.section}] ${key}: ${why}`, {
      cause: error,
    });
  }
}

export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * The foreman's settings from `kolejka.conf`: `temp`, `concurency` (sic, as the original;
 * `concurrency` also works), `pull`, `auto_tags`, `tags` (comma list), the limit keys, and
 * Kolejka's own `id`, `output_limit` and `blob_cache`. `interval` is accepted and ignored:
 * work is pushed, nothing polls.
 */
export async function readForemanConf(options: {
  env: ClientEnv;
  file?: string;
  etcDir?: string;
}): Promise<ForemanConfSettings> {
  const conf = await readKolejkaConf({
    env: options.env,
    ...(options.file === undefined ? {} : { file: options.file }),
    ...(options.etcDir === undefined ? {} : { etcDir: options.etcDir }),
  });
  if (conf === undefined) return { limits: {} };
  const limits: Limits = {};
  for (const name of LIMIT_NAMES) {
    const value = parsed(conf, name, (text) => parseLimitValue(LIMIT_KINDS[name], text));
    if (value !== undefined) (limits as Record<string, number | boolean>)[name] = value;
  }
  const settings: ForemanConfSettings = { file: conf.file, limits };
  const id = parsed(conf, 'id', (text) => text.trim());
  const tags = parsed(conf, 'tags', splitList);
  const autoTags = parsed(conf, 'auto_tags', parseBool);
  const pull = parsed(conf, 'pull', parseBool);
  const tempDir = parsed(conf, 'temp', (text) => text.trim());
  const concurrency =
    parsed(conf, 'concurrency', parseCount) ?? parsed(conf, 'concurency', parseCount);
  const outputLimitBytes = parsed(conf, 'output_limit', parseMemory);
  const blobCacheBytes = parsed(conf, 'blob_cache', parseMemory);
  if (id !== undefined && id !== '') settings.id = id;
  if (tags !== undefined) settings.tags = tags;
  if (autoTags !== undefined) settings.autoTags = autoTags;
  if (pull !== undefined) settings.pull = pull;
  if (tempDir !== undefined && tempDir !== '') settings.tempDir = tempDir;
  if (concurrency !== undefined) settings.concurrency = concurrency;
  if (outputLimitBytes !== undefined) settings.outputLimitBytes = outputLimitBytes;
  if (blobCacheBytes !== undefined) settings.blobCacheBytes = blobCacheBytes;
  return settings;
}
