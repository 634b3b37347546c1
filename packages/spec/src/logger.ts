/**
 * The logging seam: libraries accept a `Logger` (default: `noopLogger`) and never import a
 * logging library; daemons pass a real one. Messages are constant strings, data goes in `meta`.
 */
export type LogMeta = Record<string, unknown>;

export interface Logger {
  error(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  debug(message: string, meta?: LogMeta): void;
  /** A logger that adds `meta` to every entry (for example `{ task: id }`). */
  child(meta: LogMeta): Logger;
}

const ignore = (): void => {};

export const noopLogger: Logger = {
  error: ignore,
  warn: ignore,
  info: ignore,
  debug: ignore,
  child: () => noopLogger,
};
