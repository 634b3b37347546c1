import { describe, expect, it } from 'vitest';
import { parseLimits } from '@kolejka/spec';
import { BinaryHeap } from '../src/scheduling/binary-heap.js';
import { InvalidMessageCounter, MAX_INVALID_MESSAGES } from '../src/http/invalid-messages.js';
import { QueueIndex } from '../src/scheduling/queue-index.js';
import { unschedulableReason } from '../src/scheduling/schedulability.js';
import type { TaskRecord } from '../src/store/store.js';

let counter = 0;
function task(
  overrides: { priority?: number; createdAt?: number; limits?: object; requires?: string[] } = {},
): Pick<TaskRecord, 'key' | 'priority' | 'createdAt' | 'spec'> {
  const key = (++counter).toString(16).padStart(32, '0');
  return {
    key,
    priority: overrides.priority ?? 0,
    createdAt: new Date(overrides.createdAt ?? counter),
    spec: {
      id: key,
      image: 'x',
      args: ['true'],
      requires: overrides.requires ?? [],
      limits: { cpus: 1, memory: '67108864b', ...(overrides.limits ?? {}) },
      environment: {},
      files: {},
      collect: [],
    },
  };
}

describe('BinaryHeap', () => {
  it('pops in order whatever the insertion order', () => {
    const heap = new BinaryHeap<number>((a, b) => a < b);
    const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 501);
    for (const value of values) heap.push(value);
    const out: number[] = [];
    while (heap.size > 0) out.push(heap.pop() ?? -1);
    expect(out).toEqual([...values].sort((a, b) => a - b));
    expect(heap.pop()).toBeUndefined();
  });
});

describe('QueueIndex', () => {
  it('groups tasks by shape, each shape in run order (priority, then age)', () => {
    const index = new QueueIndex();
    const old = task({ createdAt: 1 });
    const young = task({ createdAt: 2 });
    const urgent = task({ createdAt: 3, priority: 5 });
    const big = task({ createdAt: 0, limits: { cpus: 8 } });
    for (const t of [young, urgent, old, big]) index.add(t);
    expect(index.add(old)).toBeUndefined();
    expect(index.size).toBe(4);
    expect(index.shapeCount).toBe(2);
    const small = index.get(old.key)?.shape;
    if (small === undefined) throw new Error('no shape');
    expect(index.head(small)?.key).toBe(urgent.key);
    index.remove(urgent.key);
    expect(index.head(small)?.key).toBe(old.key);
    expect(index.keysOf(small).sort()).toEqual([old.key, young.key].sort());
    index.remove(old.key);
    index.remove(young.key);
    expect(index.head(small)).toBeUndefined();
    expect(index.shapeCount).toBe(1);
    expect(index.remove(young.key)).toBeUndefined();
  });

  it('puts tasks with the same requirements in one shape, whatever the key order', () => {
    const index = new QueueIndex();
    const a = index.add(task({ requires: ['b', 'a'], limits: { time: '10.0s' } }));
    const b = index.add(task({ requires: ['a', 'b'], limits: { time: '10s' } }));
    expect(a?.isNewShape).toBe(true);
    expect(b?.isNewShape).toBe(false);
    expect(b?.entry.shape).toBe(a?.entry.shape);
  });
});

describe('unschedulableReason', () => {
  const req = { requires: ['gpu'], limits: parseLimits({ cpus: 4 }), exclusive: false };
  it('says why no online foreman can ever run the task', () => {
    expect(unschedulableReason(req, [])).toBeUndefined();
    const reason = unschedulableReason(req, [
      { id: 'a', tags: [], capacity: parseLimits({ cpus: 8 }) },
      { id: 'b', tags: ['gpu'], capacity: parseLimits({ cpus: 2 }) },
    ]);
    expect(reason).toMatch(
      /^no connected foreman can ever run it \(foreman lacks .*"gpu".*; task asks for cpus 4/,
    );
    expect(
      unschedulableReason(req, [{ id: 'c', tags: ['gpu'], capacity: parseLimits({ cpus: 4 }) }]),
    ).toBeUndefined();
  });
});

describe('InvalidMessageCounter', () => {
  it('trips at the limit within a minute, and forgets older ones', () => {
    const counter = new InvalidMessageCounter();
    for (let i = 1; i < MAX_INVALID_MESSAGES; i++) expect(counter.record(i * 1000)).toBe(false);
    expect(counter.record(61_000)).toBe(false); // the first one is more than a minute old
    expect(counter.record(61_001)).toBe(true);
  });
});
