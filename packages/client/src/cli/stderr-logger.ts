import type { LogMeta, Logger } from '@kolejka/spec';
import type { Terminal } from './terminal.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function formatMeta(meta: LogMeta): string {
  const parts = Object.entries(meta)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/**
 * The command line's logger: one readable line per entry on standard error, below a level
 * (warn by default, -v info, -d debug). A CLI needs no logging library.
 */
export function createStderrLogger(
  terminal: Terminal,
  level: LogLevel,
  scope: LogMeta = {},
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at =
    (entryLevel: LogLevel) =>
    (message: string, meta: LogMeta = {}): void => {
      if (LOG_LEVELS.indexOf(entryLevel) > threshold) return;
      terminal.line(
        `kolejka-client: ${entryLevel}: ${message}${formatMeta({ ...scope, ...meta })}`,
      );
    };
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (meta) => createStderrLogger(terminal, level, { ...scope, ...meta }),
  };
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}
