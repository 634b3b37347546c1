import type { LogMeta, Logger } from '@kolejka/spec';

export interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  meta: LogMeta;
}

/** A logger that keeps every line, children included, for assertions. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger: Logger = {
    error: (message, meta = {}) => lines.push({ level: 'error', message, meta }),
    warn: (message, meta = {}) => lines.push({ level: 'warn', message, meta }),
    info: (message, meta = {}) => lines.push({ level: 'info', message, meta }),
    debug: (message, meta = {}) => lines.push({ level: 'debug', message, meta }),
    child: () => logger,
  };
  return { logger, lines };
}
