import winston from 'winston';
import type { LogMeta, Logger } from '@kolejka/spec';
import type { LogLevel } from './log-levels.js';

export interface DaemonLoggerOptions {
  level: LogLevel;
  /** The program's name, added to every entry as `service` (and shown on a terminal). */
  name?: string;
  /**
   * Where entries go. Default: standard output, the log stream of every Kolejka daemon
   * (standard error keeps the one line that says why it stopped). A command-line tool whose
   * standard output is its result (the worker's summary) passes `process.stderr`.
   */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** JSON lines (journald, log shippers) or readable lines. Default: JSON unless the stream is a TTY. */
  json?: boolean;
}

/** A spec `Logger` backed by winston, with `close()` to flush at exit. */
export interface DaemonLogger extends Logger {
  close(): void;
}

/** Errors do not serialise to JSON by themselves: keep their name, message and code. */
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
  // Winston formats an entry before its transport drops it by level: checking first keeps
  // disabled levels (debug in hot paths) free.
  const at =
    (level: LogLevel) =>
    (message: string, meta?: LogMeta): void => {
      if (logger.isLevelEnabled(level)) logger.log(level, message, serializable(meta));
    };
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (meta) => wrap(logger.child(serializable(meta) ?? {}), close),
    close,
  };
}

function readableFormat(): winston.Logform.Format {
  return winston.format.combine(
    winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
    winston.format.colorize(),
    winston.format.printf((entry) => {
      const { timestamp, level, message, service, ...meta } = entry as Record<string, unknown>;
      const rest = Object.keys(meta).length === 0 ? '' : ` ${JSON.stringify(meta)}`;
      const who = typeof service === 'string' ? ` [${service}]` : '';
      return `${String(timestamp)} ${String(level)}${who} ${String(message)}${rest}`;
    }),
  );
}

/**
 * The winston logger of Kolejka's daemons, behind spec's `Logger`: JSON lines off a
 * terminal, readable lines on one, on standard output by default.
 */
export function createDaemonLogger(options: DaemonLoggerOptions): DaemonLogger {
  const stream = options.stream ?? process.stdout;
  const json = options.json ?? stream.isTTY !== true;
  const logger = winston.createLogger({
    level: options.level,
    ...(options.name === undefined ? {} : { defaultMeta: { service: options.name } }),
    format: json
      ? winston.format.combine(winston.format.timestamp(), winston.format.json())
      : readableFormat(),
    transports: [new winston.transports.Stream({ stream })],
  });
  return wrap(logger, () => logger.close());
}
