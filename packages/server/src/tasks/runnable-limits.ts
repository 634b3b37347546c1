import type { Limits, ValidationIssue } from '@kolejka/spec';

/** Docker refuses a container memory limit below 6 MiB ("Minimum memory limit allowed is 6MB"). */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/**
 * Limits no foreman can ever run a task with: refused at submission (with the JSON path)
 * instead of being offered to foreman after foreman, each of which Docker turns down.
 */
export function runnableLimitIssues(limits: Limits): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (limits.memory !== undefined && limits.memory > 0 && limits.memory < MIN_MEMORY_BYTES)
    issues.push({
      path: '/limits/memory',
      message: `is ${limits.memory} bytes, below Docker's minimum of 6 MiB (${MIN_MEMORY_BYTES} bytes): no foreman could start the task`,
    });
  return issues;
}
