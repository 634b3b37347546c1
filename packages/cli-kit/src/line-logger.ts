import type { LogMeta, Logger } from '@kolejka/spec';
import { LOG_LEVELS, type LogLevel } from './log-levels.js';

export interface LineLoggerOptions {
  /** The program, at the start of every line: `kolejka-client: warn: …`. */
  name: string;
  level: LogLevel;
  /** Writes one whole line (without its newline), e.g. past a progress line on stderr. */
  write: (line: string) => void;
}

function formatMeta(meta: LogMeta): string {
  const parts = Object.entries(meta)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/**
 * The logger of an interactive command: one readable line per entry, for a person at a
 * terminal, with no logging library to load. Daemons use `createDaemonLogger` instead.
 */
export function createLineLogger(options: LineLoggerOptions, scope: LogMeta = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level);
  const at =
    (level: LogLevel) =>
    (message: string, meta: LogMeta = {}): void => {
      if (LOG_LEVELS.indexOf(level) > threshold) return;
      options.write(`${options.name}: ${level}: ${message}${formatMeta({ ...scope, ...meta })}`);
    };
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (meta) => createLineLogger(options, { ...scope, ...meta }),
  };
}
