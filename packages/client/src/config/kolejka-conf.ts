import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { KolejkaError } from '@kolejka/spec';
import type { ClientEnv } from '../options.js';
import { parseIni, type IniFile } from './ini.js';

/** The original's config file name (reference §8.2). */
export const KOLEJKA_CONF = 'kolejka.conf';

/**
 * Where the original looks for `kolejka.conf`, first existing wins: the user config dir
 * (`$XDG_CONFIG_HOME/kolejka`, else `~/.config/kolejka`), `/etc/kolejka`, then the XDG
 * system dirs (`$XDG_CONFIG_DIRS`, else `/etc/xdg`, each `/kolejka`).
 */
export function kolejkaConfSearchPath(env: ClientEnv, etcDir = '/etc'): string[] {
  return [
    path.join(env.configHome, 'kolejka', KOLEJKA_CONF),
    path.join(etcDir, 'kolejka', KOLEJKA_CONF),
    ...env.configDirs.map((dir) => path.join(dir, 'kolejka', KOLEJKA_CONF)),
  ];
}

/** One value of a role, with the section it came from. */
export interface ConfValue {
  value: string;
  section: string;
}

export interface KolejkaConf {
  file: string;
  ini: IniFile;
  /** The client section: `--config NAME`, else `[default] config = NAME`, else `client`. */
  clientSection: string;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads the original's config: the given file (which must exist), else the first file of
 * the search path, else undefined.
 */
export async function readKolejkaConf(options: {
  env: ClientEnv;
  file?: string;
  configName?: string;
  etcDir?: string;
}): Promise<KolejkaConf | undefined> {
  let file = options.file;
  if (file === undefined) {
    for (const candidate of kolejkaConfSearchPath(options.env, options.etcDir)) {
      if (await isFile(candidate)) {
        file = candidate;
        break;
      }
    }
    if (file === undefined) return undefined;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new KolejkaError(
      missing ? 'KOLEJKA_NOT_FOUND' : 'KOLEJKA_VALIDATION',
      missing
        ? `Config file ${file} does not exist`
        : `Cannot read ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const ini = parseIni(text, file);
  const clientSection = options.configName ?? ini.get('default')?.config ?? 'client';
  return { file, ini, clientSection };
}

/**
 * A key of a role as the original resolves it: the role's section, then `[default]`.
 * (Command-line flags are layered above by the caller, unlike the original, where a value
 * in the role's section beat the flag.)
 */
export function confValue(conf: KolejkaConf, section: string, key: string): ConfValue | undefined {
  const own = conf.ini.get(section)?.[key];
  if (own !== undefined) return { value: own, section };
  const fallback = conf.ini.get('default')?.[key];
  if (fallback !== undefined) return { value: fallback, section: 'default' };
  return undefined;
}
