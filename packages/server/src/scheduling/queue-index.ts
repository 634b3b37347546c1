import {
  canonicalJson,
  dumpLimits,
  parseLimits,
  type TaskRequirements,
  type TaskSpecJson,
} from '@kolejka/spec';
import type { TaskRecord } from '../store/store.js';
import { BinaryHeap } from './binary-heap.js';
import { FairShare } from './fair-share.js';

/** One queued task as the scheduler keeps it in memory. */
export interface QueuedTask {
  key: string;
  owner: string;
  priority: number;
  createdAtMs: number;
  /** Its place within its priority: a moved task's `queueOrder`, else `createdAtMs`. */
  order: number;
  shape: Shape;
  /** Removed lazily from its lane's heap. */
  isRemoved: boolean;
}

/**
 * The tasks of one user within one shape, in run order (fair share, issue 12): a shape
 * chooses between its users' lanes, each lane gives its own oldest task of the highest
 * priority.
 */
interface Lane {
  readonly owner: string;
  readonly heap: BinaryHeap<QueuedTask>;
  /** Live tasks in the lane. */
  size: number;
  /** Bumped when the lane's key changes or it leaves the shape: older heap entries are stale. */
  version: number;
  /** Taken out while its owner is at its `maxRunning` (see `QueueIndex.release`). */
  isParked: boolean;
}

/** A lane's place in its shape's heap as it was when pushed (checked again at the top). */
interface LaneEntry {
  readonly lane: Lane;
  readonly version: number;
  readonly head: QueuedTask;
  readonly pass: number;
}

/** Higher priority first; at one priority the user with the lowest pass; then run order. */
function laneBefore(a: LaneEntry, b: LaneEntry): boolean {
  if (a.head.priority !== b.head.priority) return a.head.priority > b.head.priority;
  if (a.pass !== b.pass) return a.pass < b.pass;
  return runsBefore(a.head, b.head);
}

/**
 * Tasks with the same requirements (requires, exclusive, limits): whether one of them fits
 * a foreman decides it for all, so only the next task of each shape is ever a candidate.
 */
export interface Shape {
  readonly id: string;
  readonly requirements: TaskRequirements;
  /** Live tasks in the shape. */
  size: number;
  /** The users' lanes of this shape, by owner. */
  readonly lanes: Map<string, Lane>;
  /** Lanes in the order their users are due (lazy: stale entries are skipped or renewed at the top). */
  readonly laneHeap: BinaryHeap<LaneEntry>;
  /** The capacity epoch at which no local foreman could take the head (skip until it moves). */
  blockedAtEpoch: number;
  /** Set when no online foreman of the cluster can ever run these tasks. */
  unschedulableReason: string | undefined;
  /** The foremen version the reason was decided against. */
  checkedAtForemenVersion: number;
}

/** Priority desc, then place (older first unless moved), then key: the run order. */
export function runsBefore(a: QueuedTask, b: QueuedTask): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.order !== b.order) return a.order < b.order;
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

export interface QueueIndexOptions {
  /** The users' passes and weights. Default: a new one. */
  fairShare?: FairShare;
  /** Whether a user may get no task now (its `maxRunning` reached). Default: never. */
  isHeld?: (owner: string) => boolean;
}

/**
 * The scheduler's in-memory index of queued tasks, grouped by shape and, within a shape, by
 * user (a lane per user, a heap in run order), the lanes of a shape in a heap ordered by
 * priority, then the users' fair-share pass (see FairShare). Adding, removing and taking
 * the head cost O(log n) (amortized: a lane whose pass moved on is re-placed when it comes
 * to the top); nothing scans the queue or the users.
 */
export class QueueIndex {
  readonly fairShare: FairShare;
  private readonly isHeld: (owner: string) => boolean;
  private readonly tasks = new Map<string, QueuedTask>();
  private readonly byShape = new Map<string, Shape>();
  /** Lanes taken out of their shapes while their owner is held: owner → lanes. */
  private readonly parked = new Map<string, Set<{ shape: Shape; lane: Lane }>>();

  constructor(options: QueueIndexOptions = {}) {
    this.fairShare = options.fairShare ?? new FairShare();
    this.isHeld = options.isHeld ?? (() => false);
  }

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
    task: Pick<TaskRecord, 'key' | 'priority' | 'createdAt' | 'spec'> &
      Partial<Pick<TaskRecord, 'owner' | 'queueOrder'>>,
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
        lanes: new Map(),
        laneHeap: new BinaryHeap(laneBefore),
        blockedAtEpoch: -1,
        unschedulableReason: undefined,
        checkedAtForemenVersion: -1,
      };
      this.byShape.set(id, shape);
    }
    const owner = task.owner ?? '';
    const entry: QueuedTask = {
      key: task.key,
      owner,
      priority: task.priority,
      createdAtMs: task.createdAt.getTime(),
      order: task.queueOrder ?? task.createdAt.getTime(),
      shape,
      isRemoved: false,
    };
    let lane = shape.lanes.get(owner);
    if (lane === undefined) {
      lane = { owner, heap: new BinaryHeap(runsBefore), size: 0, version: 0, isParked: false };
      shape.lanes.set(owner, lane);
    }
    const before = this.laneHead(lane);
    lane.heap.push(entry);
    lane.size++;
    shape.size++;
    this.tasks.set(task.key, entry);
    this.fairShare.joined(owner);
    // A lane whose head got better is placed again at once (the lazy checks only ever
    // move a lane later).
    if (before === undefined || runsBefore(entry, before)) this.pushLane(shape, lane);
    return { entry, isNewShape };
  }

  /** Forgets a task (cancelled, deleted, re-placed…); returns it when it was known. */
  remove(key: string): QueuedTask | undefined {
    const entry = this.tasks.get(key);
    if (entry === undefined) return undefined;
    this.tasks.delete(key);
    entry.isRemoved = true;
    this.fairShare.left(entry.owner);
    const shape = entry.shape;
    const lane = shape.lanes.get(entry.owner);
    if (lane !== undefined && --lane.size === 0) {
      lane.heap.clear();
      lane.version++;
      shape.lanes.delete(entry.owner);
    }
    shape.size--;
    if (shape.size === 0) {
      shape.laneHeap.clear();
      this.byShape.delete(shape.id);
    }
    return entry;
  }

  /** A task is being assigned: it leaves the index and its owner's pass moves on. */
  take(key: string): QueuedTask | undefined {
    const entry = this.remove(key);
    if (entry !== undefined) this.fairShare.charge(entry.owner);
    return entry;
  }

  /** The next task of a shape: the due user's next task in run order. */
  head(shape: Shape): QueuedTask | undefined {
    for (;;) {
      const top = shape.laneHeap.peek();
      if (top === undefined) return undefined;
      const lane = top.lane;
      if (top.version !== lane.version || lane.isParked || lane.size === 0) {
        shape.laneHeap.pop();
        continue;
      }
      if (this.isHeld(lane.owner)) {
        shape.laneHeap.pop();
        this.park(shape, lane);
        continue;
      }
      const head = this.laneHead(lane);
      if (head === undefined) {
        shape.laneHeap.pop();
        continue;
      }
      if (head !== top.head || top.pass !== this.fairShare.passOf(lane.owner)) {
        // Its head or its pass moved on since it was placed: place it again.
        shape.laneHeap.pop();
        this.pushLane(shape, lane);
        continue;
      }
      return head;
    }
  }

  /** Whether `a` goes before `b` across shapes: priority, then the owner's pass, then run order. */
  runsFirst(a: QueuedTask, b: QueuedTask): boolean {
    if (a.priority !== b.priority) return a.priority > b.priority;
    const passA = this.fairShare.passOf(a.owner);
    const passB = this.fairShare.passOf(b.owner);
    if (passA !== passB) return passA < passB;
    return runsBefore(a, b);
  }

  /** The owner may get tasks again (below its `maxRunning`): its parked lanes come back. */
  release(owner: string): boolean {
    const lanes = this.parked.get(owner);
    if (lanes === undefined) return false;
    this.parked.delete(owner);
    for (const { shape, lane } of lanes) {
      lane.isParked = false;
      if (lane.size > 0 && this.byShape.get(shape.id) === shape) this.pushLane(shape, lane);
    }
    return true;
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
    this.parked.clear();
  }

  private laneHead(lane: Lane): QueuedTask | undefined {
    let top = lane.heap.peek();
    while (top?.isRemoved === true) {
      lane.heap.pop();
      top = lane.heap.peek();
    }
    return top;
  }

  private pushLane(shape: Shape, lane: Lane): void {
    if (lane.isParked) return;
    const head = this.laneHead(lane);
    if (head === undefined) return;
    lane.version++;
    shape.laneHeap.push({
      lane,
      version: lane.version,
      head,
      pass: this.fairShare.passOf(lane.owner),
    });
  }

  private park(shape: Shape, lane: Lane): void {
    lane.isParked = true;
    lane.version++;
    let lanes = this.parked.get(lane.owner);
    if (lanes === undefined) {
      lanes = new Set();
      this.parked.set(lane.owner, lanes);
    }
    lanes.add({ shape, lane });
  }
}
