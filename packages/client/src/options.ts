import os from 'node:os';
import path from 'node:path';

/** The environment variables the client reads; nothing else in the package reads `env`. */
export const ENV_NAMES = {
  server: 'KOLEJKA_SERVER',
  token: 'KOLEJKA_TOKEN',
  logLevel: 'KOLEJKA_LOG_LEVEL',
} as const;

export type Env = Readonly<Record<string, string | undefined>>;

export interface ClientEnv {
  /** `KOLEJKA_SERVER`: base URL(s), comma-separated. */
  server?: string;
  /** `KOLEJKA_TOKEN`. */
  token?: string;
  /** `KOLEJKA_LOG_LEVEL`: error, warn, info or debug. */
  logLevel?: string;
  /** The user's config directory: `$XDG_CONFIG_HOME`, else `~/.config`. */
  configHome: string;
  /** System config directories of the XDG spec: `$XDG_CONFIG_DIRS`, else `/etc/xdg`. */
  configDirs: string[];
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

/** Reads the client's environment once. */
export function readClientEnv(env: Env): ClientEnv {
  const home = nonEmpty(env.HOME) ?? os.homedir();
  const xdgHome = nonEmpty(env.XDG_CONFIG_HOME);
  const xdgDirs = nonEmpty(env.XDG_CONFIG_DIRS);
  const server = nonEmpty(env[ENV_NAMES.server]);
  const token = nonEmpty(env[ENV_NAMES.token]);
  const logLevel = nonEmpty(env[ENV_NAMES.logLevel]);
  return {
    ...(server === undefined ? {} : { server }),
    ...(token === undefined ? {} : { token }),
    ...(logLevel === undefined ? {} : { logLevel }),
    // XDG: a relative value is invalid and must be ignored.
    configHome:
      xdgHome !== undefined && path.isAbsolute(xdgHome) ? xdgHome : path.join(home, '.config'),
    configDirs: (xdgDirs ?? '/etc/xdg')
      .split(':')
      .filter((dir) => dir !== '' && path.isAbsolute(dir)),
  };
}
