import winston from 'winston';
import type { LogMeta, Logger } from '@kolejka/spec';
import { logLevelFromEnv, type LogLevel } from './options.js';

export interface DaemonLoggerOptions {
  /** The daemon's name, added to every entry as `service`. */
  name: string;
  /** Default: KOLEJKA_LOG_LEVEL, else info. */
  level?: LogLevel;
  /** JSON lines (for journald and log shippers) or readable text. Default: JSON unless stdout is a TTY. */
  json?: boolean;
  /** Where entries go. Default: stdout. */
  stream?: NodeJS.WritableStream;
}

/** A spec `Logger` backed by winston, with `close()` to flush at exit. */
export interface DaemonLogger extends Logger {
  close(): void;
}

/** Errors do not serialise to JSON by themselves: keep their code and message. */
function serializable(meta: LogMeta | undefined): LogMeta | undefined {
  if (meta === undefined) return undefined;
  const out: LogMeta = {};
  for (const [key, value] of Object.entries(meta)) {
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code;
      out[key] = {
        name: value.name,
        message: value.message,
        ...(code === undefined ? {} : { code }),
      };
    } else {
      out[key] = value;
    }
  }
  return out;
}

function wrap(logger: winston.Logger, close: () => void): DaemonLogger {
  const log =
    (level: LogLevel) =>
    (message: string, meta?: LogMeta): void => {
      logger.log(level, message, serializable(meta));
    };
  return {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    child: (meta) => wrap(logger.child(serializable(meta) ?? {}), close),
    close,
  };
}

/**
 * The winston logger of Kolejka's daemons (observer, worker, foreman CLIs): JSON lines when
 * stdout is not a terminal, readable lines on a terminal, level from KOLEJKA_LOG_LEVEL.
 */
export function createDaemonLogger(options: DaemonLoggerOptions): DaemonLogger {
  const json = options.json ?? !process.stdout.isTTY;
  const format = json
    ? winston.format.combine(winston.format.timestamp(), winston.format.json())
    : winston.format.combine(
        winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
        winston.format.colorize(),
        winston.format.printf((info) => {
          const { timestamp, level, message, service, ...meta } = info as Record<string, unknown>;
          const extra = Object.keys(meta).length === 0 ? '' : ` ${JSON.stringify(meta)}`;
          return `${String(timestamp)} ${String(level)} [${String(service)}] ${String(message)}${extra}`;
        }),
      );
  const transport = new winston.transports.Stream({ stream: options.stream ?? process.stdout });
  const logger = winston.createLogger({
    level: options.level ?? logLevelFromEnv(),
    defaultMeta: { service: options.name },
    format,
    transports: [transport],
  });
  return wrap(logger, () => logger.close());
}
