import { KolejkaError } from '@kolejka/spec';
import type { UserQueuePolicyChanges } from './store-records.js';

/* Argument checks of the queue-control operations, shared by both engines. */

/** The stored scope of a pause: '' for the whole queue, else the tag. */
export function pauseScope(tag: string | undefined): string {
  if (tag === '')
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      'A paused tag must not be empty (omit it to pause all)',
    );
  return tag ?? '';
}

export function assertQueuePolicy(changes: UserQueuePolicyChanges): void {
  const { weight, maxRunning, maxQueued } = changes;
  if (weight !== undefined && weight !== null && !(Number.isFinite(weight) && weight > 0))
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `A weight must be a positive number, not ${weight}`,
    );
  for (const [name, value] of [
    ['maxRunning', maxRunning],
    ['maxQueued', maxQueued],
  ] as const)
    if (value !== undefined && value !== null && !(Number.isInteger(value) && value >= 0))
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        `${name} must be a whole number >= 0, not ${value}`,
      );
}
