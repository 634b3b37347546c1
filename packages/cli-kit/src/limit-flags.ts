import type { Argv } from 'yargs';
import { parseLimitValue, type Limits } from '@kolejka/spec';
import { parseFlag } from './flag-values.js';
import { LIMIT_FLAGS, type LimitFlag } from './limit-flag-table.js';

export interface LimitFlagOptions {
  /** Default: every row of the table. */
  flags?: readonly LimitFlag[];
  /** The heading of the flags in --help. */
  group?: string;
  /** Which description: a task's limit (default) or a foreman's capacity. */
  meaning?: 'limit' | 'capacity';
}

const LIMITS_GROUP = "Limits (each combined with the task's: the smaller wins):";

/** Adds one yargs option per limit flag: a string in the task file's grammar, described in --help. */
export function withLimitFlags<T>(yargs: Argv<T>, options: LimitFlagOptions = {}): Argv<T> {
  const { flags = LIMIT_FLAGS, group = LIMITS_GROUP, meaning = 'limit' } = options;
  let built = yargs;
  for (const row of flags) {
    built = built.option(row.flag, {
      type: 'string',
      group,
      describe: meaning === 'capacity' ? row.capacity : row.describe,
      // `--network` alone means "true", as in the original.
      requiresArg: row.kind !== 'bool',
    });
  }
  return built;
}

/** The limits given as flags, parsed (a bad value is a KOLEJKA_VALIDATION error naming the flag). */
export function limitsFromFlags(
  argv: Readonly<Record<string, unknown>>,
  flags: readonly LimitFlag[] = LIMIT_FLAGS,
): Limits {
  const limits: Limits = {};
  for (const { flag, limit, kind } of flags) {
    const value = parseFlag(flag, argv[flag], (text) => parseLimitValue(kind, text));
    if (value !== undefined) (limits as Record<string, number | boolean>)[limit] = value;
  }
  return limits;
}
