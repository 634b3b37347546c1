import {
  canonicalJson,
  dumpLimits,
  parseLimits,
  type TaskRequirements,
  type TaskSpecJson,
} from '@kolejka/spec';
import type { TaskRecord } from '../store/store.js';
import { BinaryHeap } from './binary-heap.js';

/** One queued task as the scheduler keeps it in memory. */
export interface QueuedTask {
  key: string;
  priority: number;
  createdAtMs: number;
  shape: Shape;
  /** Removed lazily from its shape's heap. */
  isRemoved: boolean;
}

/**
 * Tasks with the same requirements (requires, exclusive, limits): whether one of them fits
 * a foreman decides it for all, so only the oldest of each shape is ever a candidate.
 */
export interface Shape {
  readonly id: string;
  readonly requirements: TaskRequirements;
  /** Live tasks in the shape. */
  size: number;
  readonly heap: BinaryHeap<QueuedTask>;
  /** The capacity epoch at which no local foreman could take the head (skip until it moves). */
  blockedAtEpoch: number;
  /** Set when no online foreman of the cluster can ever run these tasks. */
  unschedulableReason: string | undefined;
  /** The foremen version the reason was decided against. */
  checkedAtForemenVersion: number;
}

/** Priority desc, then older first, then key: the store's run order. */
export function runsBefore(a: QueuedTask, b: QueuedTask): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.createdAtMs !== b.createdAtMs) return a.createdAtMs < b.createdAtMs;
  return a.key < b.key;
}

/** What matching needs of a stored (canonical) task spec; no re-validation: it was checked at submission. */
export function requirementsOf(spec: TaskSpecJson): TaskRequirements {
  return {
    requires: spec.requires ?? [],
    limits: parseLimits(spec.limits ?? {}),
    exclusive: spec.exclusive === true,
  };
}

function shapeIdOf(requirements: TaskRequirements): string {
  return canonicalJson({
    r: [...requirements.requires].sort(),
    l: dumpLimits(requirements.limits),
    x: requirements.exclusive === true,
  });
}

/**
 * The scheduler's in-memory index of queued tasks, grouped by shape, each shape a heap in
 * run order. Adding, removing and taking the head cost O(log n); nothing scans the queue.
 */
export class QueueIndex {
  private readonly tasks = new Map<string, QueuedTask>();
  private readonly byShape = new Map<string, Shape>();

  get size(): number {
    return this.tasks.size;
  }

  has(key: string): boolean {
    return this.tasks.has(key);
  }

  get(key: string): QueuedTask | undefined {
    return this.tasks.get(key);
  }

  shapes(): IterableIterator<Shape> {
    return this.byShape.values();
  }

  get shapeCount(): number {
    return this.byShape.size;
  }

  /** Adds a queued task (no-op when known); says whether its shape is new. */
  add(
    task: Pick<TaskRecord, 'key' | 'priority' | 'createdAt' | 'spec'>,
  ): { entry: QueuedTask; isNewShape: boolean } | undefined {
    if (this.tasks.has(task.key)) return undefined;
    const requirements = requirementsOf(task.spec);
    const id = shapeIdOf(requirements);
    let shape = this.byShape.get(id);
    const isNewShape = shape === undefined;
    if (shape === undefined) {
      shape = {
        id,
        requirements,
        size: 0,
        heap: new BinaryHeap(runsBefore),
        blockedAtEpoch: -1,
        unschedulableReason: undefined,
        checkedAtForemenVersion: -1,
      };
      this.byShape.set(id, shape);
    }
    const entry: QueuedTask = {
      key: task.key,
      priority: task.priority,
      createdAtMs: task.createdAt.getTime(),
      shape,
      isRemoved: false,
    };
    shape.heap.push(entry);
    shape.size++;
    this.tasks.set(task.key, entry);
    return { entry, isNewShape };
  }

  /** Forgets a task (claimed, cancelled, deleted…); returns it when it was known. */
  remove(key: string): QueuedTask | undefined {
    const entry = this.tasks.get(key);
    if (entry === undefined) return undefined;
    this.tasks.delete(key);
    entry.isRemoved = true;
    const shape = entry.shape;
    shape.size--;
    if (shape.size === 0) {
      shape.heap.clear();
      this.byShape.delete(shape.id);
    }
    return entry;
  }

  /** The next task of a shape in run order. */
  head(shape: Shape): QueuedTask | undefined {
    let top = shape.heap.peek();
    while (top?.isRemoved === true) {
      shape.heap.pop();
      top = shape.heap.peek();
    }
    return top;
  }

  /** Keys of the live tasks of a shape (any order). */
  keysOf(shape: Shape): string[] {
    const keys: string[] = [];
    for (const entry of this.tasks.values()) if (entry.shape === shape) keys.push(entry.key);
    return keys;
  }

  clear(): void {
    this.tasks.clear();
    this.byShape.clear();
  }
}
