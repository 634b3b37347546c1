// Everything in one place for convenience. Start-up-sensitive code imports the subpaths
// instead (`@kolejka/cli-kit/backoff`, …): this index loads winston with the logger.
export { backoffDelayMs, type BackoffPolicy, type RandomSource } from './backoff.js';
export { describeError } from './errors.js';
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeOfSignal } from './exit-codes.js';
export { lastFlagText, parseFlag } from './flag-values.js';
export {
  LIMIT_FLAGS,
  pickLimitFlags,
  type LimitFlag,
  type LimitFlagName,
} from './limit-flag-table.js';
export { limitsFromFlags, withLimitFlags, type LimitFlagOptions } from './limit-flags.js';
export {
  LOG_LEVELS,
  LOG_LEVEL_ENV,
  isLogLevel,
  logLevelFromEnv,
  logLevelFromFlags,
  parseLogLevel,
  type LogLevel,
} from './log-levels.js';
export { createLineLogger, type LineLoggerOptions } from './line-logger.js';
export { createDaemonLogger, type DaemonLogger, type DaemonLoggerOptions } from './logger.js';
export { ask, askHidden, readFirstLine, readNewPassword, type PromptIo } from './prompt.js';
export { STOP_SIGNALS, abortOnStopSignal, onStopSignals, type SignalSource } from './signals.js';
