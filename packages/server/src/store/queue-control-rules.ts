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

/** A task's place among its priority: its `queueOrder`, else its age. */
export const orderOf = (task: { queueOrder?: number; createdAt: Date }): number =>
  task.queueOrder ?? task.createdAt.getTime();

/**
 * The new `queueOrder` of a moved task from its neighbours: front/back go one past the
 * smallest/largest order of the priority; `before` takes the midpoint between the target
 * and the task ahead of it (or one less when none is). `undefined` when there is no other
 * task (front/back) or the numbers ran out of room between two neighbours (floating point:
 * after some 50 moves into one gap).
 */
export function newQueueOrder(
  placement: { to: 'front' | 'back' } | { before: string },
  neighbours: { min?: number; max?: number; target?: number; ahead?: number },
): number | undefined {
  if ('to' in placement) {
    if (placement.to === 'front')
      return neighbours.min === undefined ? undefined : neighbours.min - 1;
    return neighbours.max === undefined ? undefined : neighbours.max + 1;
  }
  const target = neighbours.target ?? 0;
  if (neighbours.ahead === undefined) return target - 1;
  const middle = (neighbours.ahead + target) / 2;
  return middle > neighbours.ahead && middle < target ? middle : undefined;
}
