import {
  KolejkaError,
  parseBool,
  parseCount,
  parseMemory,
  parseTime,
  type Limits,
} from '@kolejka/spec';
import { LIMIT_FLAGS, type LimitFlag } from './cli-limit-flags.js';

export { LIMIT_FLAGS, type LimitFlag } from './cli-limit-flags.js';

/** Reads the limit flags given on the command line; a bad value names its flag. */
export function limitsFromFlags(flags: Partial<Record<LimitFlag, string | number>>): Limits {
  const limits: Limits = {};
  for (const [flag, { limit, kind }] of Object.entries(LIMIT_FLAGS) as [
    LimitFlag,
    (typeof LIMIT_FLAGS)[LimitFlag],
  ][]) {
    const value = flags[flag];
    if (value === undefined) continue;
    try {
      const text = String(value);
      const parsed =
        kind === 'int'
          ? parseCount(text)
          : kind === 'memory'
            ? parseMemory(text)
            : kind === 'time'
              ? parseTime(text)
              : parseBool(text);
      (limits as Record<string, number | boolean>)[limit] = parsed;
    } catch (error) {
      throw new KolejkaError('KOLEJKA_VALIDATION', `--${flag}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return limits;
}

/** Reads --output-limit (a memory size). */
export function outputLimitFromFlag(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseMemory(String(value));
  } catch (error) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `--output-limit: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
