import { describe, expect, it } from 'vitest';
import { FairShare } from '../src/scheduling/fair-share.js';
import { QueueIndex, type Shape } from '../src/scheduling/queue-index.js';
import type { TaskRecord } from '../src/store/store.js';

let counter = 0;
function task(
  owner: string,
  priority = 0,
): Pick<TaskRecord, 'key' | 'priority' | 'createdAt' | 'spec' | 'owner'> {
  const key = (++counter).toString(16).padStart(32, '0');
  return {
    key,
    owner,
    priority,
    createdAt: new Date(counter),
    spec: {
      id: key,
      image: 'x',
      args: ['true'],
      requires: [],
      limits: { cpus: 1 },
      environment: {},
      files: {},
      collect: [],
    },
  };
}

/** Takes `n` heads of the only shape; returns how many each owner got, in order. */
function takeHeads(index: QueueIndex, n: number): string[] {
  const owners: string[] = [];
  for (let i = 0; i < n; i++) {
    const shape = index.shapes().next().value as Shape | undefined;
    const head = shape && index.head(shape);
    if (head === undefined) break;
    owners.push(head.owner);
    index.take(head.key);
  }
  return owners;
}
const count = (owners: string[], owner: string): number => owners.filter((o) => o === owner).length;

describe('fair share in the queue index (stride scheduling)', () => {
  it('alternates between users of equal weight whatever their queue sizes', () => {
    const index = new QueueIndex();
    for (let i = 0; i < 10_000; i++) index.add(task('big'));
    for (let i = 0; i < 10; i++) index.add(task('small'));
    const owners = takeHeads(index, 20);
    expect(count(owners, 'small')).toBe(10);
    expect(count(owners, 'big')).toBe(10);
  });

  it('shares in proportion to the weights', () => {
    const fairShare = new FairShare();
    fairShare.setWeights(new Map([['heavy', 3]]));
    const index = new QueueIndex({ fairShare });
    for (let i = 0; i < 1000; i++) index.add(task('light'));
    for (let i = 0; i < 1000; i++) index.add(task('heavy'));
    const owners = takeHeads(index, 400);
    expect(count(owners, 'heavy')).toBeGreaterThanOrEqual(298);
    expect(count(owners, 'heavy')).toBeLessThanOrEqual(302);
  });

  it('gives a user arriving late no credit for its idle time, and no wait either', () => {
    const index = new QueueIndex();
    for (let i = 0; i < 1000; i++) index.add(task('early'));
    expect(count(takeHeads(index, 500), 'early')).toBe(500);
    for (let i = 0; i < 100; i++) index.add(task('late'));
    const owners = takeHeads(index, 20);
    // Alternating from the late user's arrival on, not 20 in a row for it.
    expect(count(owners, 'late')).toBe(10);
    expect(owners[0] === 'late' || owners[1] === 'late').toBe(true);
  });

  it('puts priority before fairness and keeps run order within a user', () => {
    const index = new QueueIndex();
    const first = task('a');
    index.add(first);
    index.add(task('a'));
    const urgent = task('b', 5);
    index.add(urgent);
    const shape = index.shapes().next().value as Shape;
    expect(index.head(shape)?.key).toBe(urgent.key);
    index.take(urgent.key);
    expect(index.head(shape)?.key).toBe(first.key);
  });

  it('skips a held user (maxRunning) until it is released', () => {
    const held = new Set(['a']);
    const index = new QueueIndex({ isHeld: (owner) => held.has(owner) });
    for (let i = 0; i < 3; i++) index.add(task('a'));
    index.add(task('b'));
    expect(takeHeads(index, 5)).toEqual(['b']);
    held.delete('a');
    expect(index.release('a')).toBe(true);
    expect(takeHeads(index, 5)).toEqual(['a', 'a', 'a']);
  });

  it('keeps the cost of an assignment flat with many users', () => {
    // Counted, not timed: heap entries visited stay logarithmic, never a scan of users.
    const index = new QueueIndex();
    for (let user = 0; user < 1000; user++) for (let i = 0; i < 5; i++) index.add(task(`u${user}`));
    const owners = takeHeads(index, 1000);
    // Every user got exactly one task in the first round.
    expect(new Set(owners).size).toBe(1000);
    expect(index.size).toBe(4000);
  });
});
