import { KolejkaError, isKolejkaError, parseTime, type ResultSpec } from '@kolejka/spec';
import { formatBytes, formatSeconds } from './format.js';

/** A duration flag in the task grammar (`30s`, `2M` = minutes, bare = seconds), in ms. */
export function durationMs(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    const seconds = parseTime(value);
    if (!(seconds > 0)) throw new KolejkaError('KOLEJKA_VALIDATION', 'must be more than zero');
    return Math.round(seconds * 1000);
  } catch (error) {
    if (!isKolejkaError(error)) throw error;
    throw new KolejkaError('KOLEJKA_VALIDATION', `--${flag}: ${error.message}`, { cause: error });
  }
}

/** A count flag that must be a whole number, 1 or more (a usage error names the flag). */
export function assertPositiveInteger(flag: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `--${flag} must be a whole number, 1 or more`);
  }
}

/** Whether the task's command succeeded: exit code 0 and no limit or signal ended it. */
export function isSuccess(result: ResultSpec): boolean {
  return (
    result.result === 0 &&
    (result.termination === undefined || result.termination.reason === 'exited')
  );
}

/** The result's headline figures, for a summary line and for JSON. */
export function resultFigures(result: ResultSpec): {
  exitCode?: number;
  termination?: string;
  timeSeconds?: number;
  memoryBytes?: number;
} {
  const memory = result.stats.memory.max_usage;
  return {
    ...(result.result === undefined ? {} : { exitCode: result.result }),
    ...(result.termination === undefined ? {} : { termination: result.termination.reason }),
    ...(result.stats.time === undefined ? {} : { timeSeconds: result.stats.time }),
    ...(memory === undefined ? {} : { memoryBytes: memory }),
  };
}

/** `exit 0 (exited), time 0.250s, memory 4.0 MiB`. */
export function resultSummary(result: ResultSpec): string {
  const figures = resultFigures(result);
  const parts = [
    `exit ${figures.exitCode ?? '?'}${figures.termination === undefined ? '' : ` (${figures.termination})`}`,
  ];
  if (figures.timeSeconds !== undefined) parts.push(`time ${formatSeconds(figures.timeSeconds)}`);
  if (figures.memoryBytes !== undefined) parts.push(`memory ${formatBytes(figures.memoryBytes)}`);
  return parts.join(', ');
}
