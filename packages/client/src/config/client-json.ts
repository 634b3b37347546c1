import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  KolejkaError,
  schemaIssues,
  validationError,
  type LimitsJson,
  type ValidationIssue,
} from '@kolejka/spec';
import type { ClientEnv } from '../options.js';

/** Our own config file: JSON, beside the original's `kolejka.conf`. */
export const CLIENT_JSON = 'client.json';

/**
 * `client.json`: the server(s), tokens and limits. `login` writes `tokens` (one per server
 * URL); `token` applies to any server. The file holds secrets and is written with mode 0600.
 */
export interface ClientJsonConfig {
  server?: string | string[];
  token?: string;
  tokens?: Record<string, string>;
  limits?: LimitsJson;
}

export function clientJsonPath(env: ClientEnv): string {
  return path.join(env.configHome, 'kolejka', CLIENT_JSON);
}

const KEYS = ['server', 'token', 'tokens', 'limits'];

function check(json: unknown, file: string): ClientJsonConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw validationError(file, [{ path: '', message: 'must be a JSON object' }]);
  }
  const value = json as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  for (const key of Object.keys(value)) {
    if (!KEYS.includes(key)) {
      issues.push({ path: `/${key}`, message: `is not a setting (known: ${KEYS.join(', ')})` });
    }
  }
  const server = value.server;
  const isStringList = (item: unknown): boolean =>
    Array.isArray(item) && item.every((entry) => typeof entry === 'string');
  if (server !== undefined && typeof server !== 'string' && !isStringList(server)) {
    issues.push({ path: '/server', message: 'must be a URL or a list of URLs' });
  }
  if (value.token !== undefined && typeof value.token !== 'string') {
    issues.push({ path: '/token', message: 'must be a string' });
  }
  const tokens = value.tokens;
  if (
    tokens !== undefined &&
    (typeof tokens !== 'object' ||
      tokens === null ||
      Array.isArray(tokens) ||
      Object.values(tokens).some((token) => typeof token !== 'string'))
  ) {
    issues.push({ path: '/tokens', message: 'must map server URLs to token strings' });
  }
  if (value.limits !== undefined) {
    issues.push(
      ...schemaIssues('limits', value.limits).map((issue) => ({
        ...issue,
        path: `/limits${issue.path}`,
      })),
    );
  }
  if (issues.length > 0) throw validationError(file, issues);
  return value;
}

/** Reads and checks `client.json`; undefined when there is none. */
export async function readClientJson(file: string): Promise<ClientJsonConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Cannot read ${file}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw validationError(
      file,
      [{ path: '', message: `is not valid JSON: ${(error as Error).message}` }],
      {
        cause: error,
      },
    );
  }
  return check(json, file);
}

/** Writes `client.json` atomically, readable by its owner only (it holds tokens). */
export async function writeClientJson(file: string, config: ClientJsonConfig): Promise<void> {
  const directory = path.dirname(file);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const temporary = path.join(
    directory,
    `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    // The umask may have narrowed the mode; never widened it, but make it exact.
    await chmod(temporary, 0o600);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Cannot write ${file}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Stores a token for every URL of a server (one system answers on all of them) and makes
 * that server the default when the file names none.
 */
export async function saveToken(
  file: string,
  servers: readonly string[],
  token: string,
): Promise<void> {
  const config = (await readClientJson(file)) ?? {};
  const tokens = { ...(config.tokens ?? {}) };
  for (const server of servers) tokens[server] = token;
  const updated: ClientJsonConfig = { ...config, tokens };
  if (config.server === undefined)
    updated.server = servers.length === 1 ? servers[0] : [...servers];
  await writeClientJson(file, updated);
}
