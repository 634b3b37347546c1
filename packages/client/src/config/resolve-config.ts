import {
  KolejkaError,
  LIMIT_KINDS,
  LIMIT_NAMES,
  isKolejkaError,
  noopLogger,
  parseLimitValue,
  parseLimits,
  type LimitName,
  type Limits,
  type Logger,
} from '@kolejka/spec';
import type { KolejkaClientOptions } from '../client-options.js';
import { ENV_NAMES, type ClientEnv } from '../options.js';
import { parseServerUrls } from '../server-urls.js';
import { clientJsonPath, readClientJson } from './client-json.js';
import { confValue, readKolejkaConf } from './kolejka-conf.js';

/** Where the client talks to when nothing says otherwise: `kolejka-server serve`'s default. */
export const DEFAULT_SERVER = 'http://127.0.0.1:8000';

/** A setting's value and where it came from (for `config show`). */
export interface Setting<T> {
  value: T;
  source: string;
}

/** Settings given on the command line (or by a program), the top layer. */
export interface ConfigFlags {
  server?: string;
  token?: string;
  /** The original's `--config-file`: this `kolejka.conf` instead of the search. */
  configFile?: string;
  /** The original's `--config`: the client section of `kolejka.conf`. */
  config?: string;
  limits?: Limits;
}

export interface ClientConfig {
  server: Setting<string[]>;
  token?: Setting<string>;
  username?: Setting<string>;
  password?: Setting<string>;
  limits: Partial<Record<LimitName, Setting<number | boolean>>>;
  files: {
    /** The `kolejka.conf` read, if any, and its client section. */
    kolejkaConf?: string;
    section?: string;
    clientJson: string;
    hasClientJson: boolean;
  };
}

function located<T>(source: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (isKolejkaError(error)) {
      throw new KolejkaError(error.code, `${source}: ${error.message}`, {
        cause: error,
        details: error.details,
      });
    }
    throw error;
  }
}

/**
 * The client's settings, each from the highest layer that sets it: defaults < the
 * original's `kolejka.conf` (client section, then `[default]`) < `client.json` <
 * `KOLEJKA_SERVER` / `KOLEJKA_TOKEN` < flags. Limits layer per field.
 */
export async function resolveClientConfig(options: {
  env: ClientEnv;
  flags?: ConfigFlags;
  /** Where `/etc/kolejka` is (tests move it). */
  etcDir?: string;
  logger?: Logger;
}): Promise<ClientConfig> {
  const { env } = options;
  const flags = options.flags ?? {};
  const logger = options.logger ?? noopLogger;
  const conf = await readKolejkaConf({
    env,
    ...(flags.configFile === undefined ? {} : { file: flags.configFile }),
    ...(flags.config === undefined ? {} : { configName: flags.config }),
    ...(options.etcDir === undefined ? {} : { etcDir: options.etcDir }),
  });
  if (conf !== undefined && !conf.ini.has(conf.clientSection)) {
    logger.warn('config section not found', { file: conf.file, section: conf.clientSection });
  }
  const jsonFile = clientJsonPath(env);
  const json = await readClientJson(jsonFile);

  const fromConf = (key: string): Setting<string> | undefined => {
    if (conf === undefined) return undefined;
    const found = confValue(conf, conf.clientSection, key);
    return found === undefined
      ? undefined
      : { value: found.value, source: `${conf.file} [${found.section}] ${key}` };
  };

  let server: Setting<string[]> = { value: [DEFAULT_SERVER], source: 'default' };
  const layers: (Setting<string | string[]> | undefined)[] = [
    fromConf('server'),
    json?.server === undefined ? undefined : { value: json.server, source: `${jsonFile} server` },
    env.server === undefined ? undefined : { value: env.server, source: `env ${ENV_NAMES.server}` },
    flags.server === undefined ? undefined : { value: flags.server, source: 'flag --server' },
  ];
  for (const layer of layers) {
    if (layer !== undefined) {
      server = {
        value: located(layer.source, () => parseServerUrls(layer.value)),
        source: layer.source,
      };
    }
  }

  let token: Setting<string> | undefined;
  if (json?.token !== undefined) token = { value: json.token, source: `${jsonFile} token` };
  const stored = server.value.find((url) => json?.tokens?.[url] !== undefined);
  if (stored !== undefined) {
    token = {
      value: json?.tokens?.[stored] as string,
      source: `${jsonFile} tokens[${JSON.stringify(stored)}]`,
    };
  }
  if (env.token !== undefined) token = { value: env.token, source: `env ${ENV_NAMES.token}` };
  if (flags.token !== undefined && flags.token !== '')
    token = { value: flags.token, source: 'flag --token' };

  const limits: ClientConfig['limits'] = {};
  for (const name of LIMIT_NAMES) {
    const setting = fromConf(name);
    if (setting === undefined) continue;
    limits[name] = {
      value: located(setting.source, () => parseLimitValue(LIMIT_KINDS[name], setting.value)),
      source: setting.source,
    };
  }
  if (json?.limits !== undefined) {
    const parsed = Object.entries(parseLimits(json.limits)) as [LimitName, number | boolean][];
    for (const [name, value] of parsed) {
      limits[name] = { value, source: `${jsonFile} limits.${name}` };
    }
  }
  const fromFlags = Object.entries(flags.limits ?? {}) as [
    LimitName,
    number | boolean | undefined,
  ][];
  for (const [name, value] of fromFlags) {
    if (value !== undefined)
      limits[name] = { value, source: `flag --${name.replaceAll('_', '-')}` };
  }

  const username = fromConf('username');
  const password = fromConf('password');
  return {
    server,
    ...(token === undefined ? {} : { token }),
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    limits,
    files: {
      ...(conf === undefined ? {} : { kolejkaConf: conf.file, section: conf.clientSection }),
      clientJson: jsonFile,
      hasClientJson: json !== undefined,
    },
  };
}

/** The limits of a config as plain values. */
export function configLimits(config: ClientConfig): Limits {
  const limits: Limits = {};
  for (const [name, setting] of Object.entries(config.limits)) {
    (limits as Record<string, number | boolean>)[name] = setting.value;
  }
  return limits;
}

/** Client options from a resolved config: a token wins over a user name and password. */
export function clientOptionsFromConfig(config: ClientConfig): KolejkaClientOptions {
  const hasToken = config.token !== undefined;
  return {
    server: config.server.value,
    limits: configLimits(config),
    ...(hasToken ? { token: config.token?.value } : {}),
    ...(!hasToken && config.username !== undefined && config.password !== undefined
      ? { username: config.username.value, password: config.password.value }
      : {}),
  };
}
