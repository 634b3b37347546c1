import { KolejkaError } from '@kolejka/spec';

/** The levels every Kolejka tool accepts (winston's npm levels that Kolejka uses), most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The environment variable every Kolejka tool reads its log level from. */
export const LOG_LEVEL_ENV = 'KOLEJKA_LOG_LEVEL';

export function isLogLevel(value: unknown): value is LogLevel {
  return (LOG_LEVELS as readonly unknown[]).includes(value);
}

/**
 * `text` as a level (case and surrounding space ignored); anything else is a
 * KOLEJKA_VALIDATION error that names `source` and lists the valid levels.
 */
export function parseLogLevel(text: string, source: string): LogLevel {
  const level = text.trim().toLowerCase();
  if (isLogLevel(level)) return level;
  throw new KolejkaError(
    'KOLEJKA_VALIDATION',
    `${source}=${JSON.stringify(text)} is not one of ${LOG_LEVELS.join(', ')}`,
  );
}

/** KOLEJKA_LOG_LEVEL, or `fallback` when it is unset or empty; an unknown level is an error. */
export function logLevelFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  fallback: LogLevel = 'info',
): LogLevel {
  const value = env[LOG_LEVEL_ENV];
  if (value === undefined || value.trim() === '') return fallback;
  return parseLogLevel(value, LOG_LEVEL_ENV);
}

/**
 * The level a command line asks for: `--log-level` wins, then `-d/--debug` (debug), then
 * `-v/--verbose` (info); undefined when none is given (the caller falls back to the env).
 */
export function logLevelFromFlags(flags: {
  logLevel?: string | undefined;
  isDebug?: boolean | undefined;
  isVerbose?: boolean | undefined;
}): LogLevel | undefined {
  if (flags.logLevel !== undefined) return parseLogLevel(flags.logLevel, '--log-level');
  if (flags.isDebug === true) return 'debug';
  if (flags.isVerbose === true) return 'info';
  return undefined;
}
