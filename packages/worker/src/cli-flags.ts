import { parseFlag } from '@kolejka/cli-kit/flag-values';
import { limitsFromFlags as parseLimitFlags } from '@kolejka/cli-kit/limit-flags';
import { parseMemory, type Limits } from '@kolejka/spec';
import { WORKER_LIMIT_FLAGS, type WorkerLimitFlag } from './cli-fast-path.js';

/** Reads the worker's limit flags given on the command line; a bad value names its flag. */
export function limitsFromFlags(flags: Partial<Record<WorkerLimitFlag, string>>): Limits {
  return parseLimitFlags(flags, WORKER_LIMIT_FLAGS);
}

/** Reads --output-limit (a memory size). */
export function outputLimitFromFlag(value: string | undefined): number | undefined {
  return parseFlag('output-limit', value, parseMemory);
}
