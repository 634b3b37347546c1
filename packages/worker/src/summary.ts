import { formatMemory, formatTime, type ResultSpec } from '@kolejka/spec';

/** The CLI's one-line summary of a result. */
export function formatSummary(result: ResultSpec): string {
  const parts = [
    `exit code ${result.result ?? '?'}`,
    `termination ${result.termination?.reason ?? 'unknown'}`,
    `time ${result.stats.time === undefined ? '?' : formatTime(result.stats.time)}`,
    `memory ${result.stats.memory.max_usage === undefined ? '?' : formatMemory(result.stats.memory.max_usage)}`,
  ];
  if (result.stats.cpu.usage !== undefined) parts.push(`cpu ${formatTime(result.stats.cpu.usage)}`);
  const message = result.termination?.message;
  return `${result.id ?? 'task'}: ${parts.join(', ')}${message ? ` (${message})` : ''}`;
}
