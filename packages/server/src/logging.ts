import winston from 'winston';
import type { LogMeta, Logger } from '@kolejka/spec';
import type { LogLevel } from './options.js';

export interface DaemonLoggerOptions {
  level: LogLevel;
  /** Readable lines on a terminal, JSON lines otherwise. Default: whether stderr is a TTY. */
  isTty?: boolean;
  /** Where lines go. Default: standard error (standard output stays for command output). */
  stream?: NodeJS.WritableStream;
}

// Winston's child loggers format every entry before the transport drops it by level; the
// check first keeps disabled levels (debug in hot paths) free.
function adapt(logger: winston.Logger): Logger {
  const log = (level: LogLevel, message: string, meta?: LogMeta): void => {
    if (logger.isLevelEnabled(level)) logger.log(level, message, meta);
  };
  return {
    error: (message: string, meta?: LogMeta) => log('error', message, meta),
    warn: (message: string, meta?: LogMeta) => log('warn', message, meta),
    info: (message: string, meta?: LogMeta) => log('info', message, meta),
    debug: (message: string, meta?: LogMeta) => log('debug', message, meta),
    child: (meta: LogMeta) => adapt(logger.child(meta)),
  };
}

/** The winston logger of the `kolejka-server` daemon and commands, behind spec's `Logger`. */
export function createDaemonLogger(options: DaemonLoggerOptions): Logger {
  const isTty = options.isTty ?? process.stderr.isTTY;
  const format = isTty
    ? winston.format.combine(
        winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
        winston.format.colorize(),
        winston.format.printf((entry) => {
          const { timestamp, level, message, ...meta } = entry;
          const rest = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
          return `${String(timestamp)} ${level} ${String(message)}${rest}`;
        }),
      )
    : winston.format.combine(winston.format.timestamp(), winston.format.json());
  const transport =
    options.stream === undefined
      ? new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })
      : new winston.transports.Stream({ stream: options.stream });
  return adapt(winston.createLogger({ level: options.level, format, transports: [transport] }));
}
