import {
  dumpLimits,
  matchTask,
  releaseCapacity,
  takeCapacity,
  type Demand,
  type ForemanOffer,
  type Limits,
  type TaskRequirements,
} from '@kolejka/spec';
import { IndexSlots } from './index-slots.js';

/** What one task holds of the foreman while it runs. */
export interface Reservation {
  key: string;
  /** The limits to run it with: task ∩ foreman, plus its placements (`cpus_offset`, `gpus_offset`). */
  limits: Limits;
  demand: Demand;
  cpuIndexes: number[];
  gpuIndexes: number[];
  isExclusive: boolean;
}

export type ReserveOutcome =
  { fits: true; reservation: Reservation } | { fits: false; reason: string };

/**
 * The foreman's own view of its capacity: budgets (memory, workspace, pids, …) through the
 * shared matching rule, and which CPU and GPU indexes are busy, so that concurrent tasks
 * get disjoint cpusets and devices. The server keeps a view of its own; this one is the
 * authority on this machine, and an assignment it cannot honour is rejected with the reason.
 */
export class CapacityLedger {
  private free: Limits;
  private readonly held = new Map<string, Reservation>();
  private readonly cpus: IndexSlots;
  private readonly gpus: IndexSlots;

  constructor(
    readonly capacity: Limits,
    readonly tags: readonly string[],
    readonly concurrency = Number.POSITIVE_INFINITY,
  ) {
    this.free = { ...capacity };
    this.cpus = new IndexSlots(capacity.cpus ?? 0);
    this.gpus = new IndexSlots(capacity.gpus ?? 0);
  }

  get size(): number {
    return this.held.size;
  }

  has(key: string): boolean {
    return this.held.has(key);
  }

  /** Free capacity now (capacity minus what running tasks hold). */
  get freeNow(): Limits {
    return { ...this.free };
  }

  offer(): ForemanOffer {
    return {
      tags: this.tags,
      capacity: this.capacity,
      free: this.free,
      runningTasks: this.held.size,
      isRunningExclusive: [...this.held.values()].some((held) => held.isExclusive),
    };
  }

  reserve(key: string, task: TaskRequirements): ReserveOutcome {
    if (this.held.has(key)) return { fits: false, reason: `task ${key} is already running here` };
    if (this.held.size >= this.concurrency) {
      return {
        fits: false,
        reason: `the foreman runs ${this.held.size} tasks, its concurrency limit`,
      };
    }
    const match = matchTask(task, this.offer());
    if (!match.fits) return { fits: false, reason: match.reason };
    const limits: Limits = { ...match.limits };
    const cpuCount = match.limits.cpus ?? 0;
    const gpuCount = match.limits.gpus ?? 0;
    const cpuOffset = this.cpus.find(cpuCount);
    if (cpuOffset === undefined) {
      return {
        fits: false,
        reason: `no ${cpuCount} adjacent free CPUs (free: ${this.cpus.freeCount} of ${this.cpus.size}, fragmented)`,
      };
    }
    const gpuOffset = this.gpus.find(gpuCount);
    if (gpuOffset === undefined) {
      return {
        fits: false,
        reason: `no ${gpuCount} adjacent free GPUs (free: ${this.gpus.freeCount} of ${this.gpus.size})`,
      };
    }
    const cpuIndexes = cpuCount > 0 ? this.cpus.take(cpuOffset, cpuCount) : [];
    const gpuIndexes = gpuCount > 0 ? this.gpus.take(gpuOffset, gpuCount) : [];
    if (cpuCount > 0) limits.cpus_offset = cpuOffset;
    if (gpuCount > 0) limits.gpus_offset = gpuOffset;
    const reservation: Reservation = {
      key,
      limits,
      demand: match.demand,
      cpuIndexes,
      gpuIndexes,
      isExclusive: task.exclusive === true,
    };
    this.held.set(key, reservation);
    this.free = takeCapacity(this.free, match.demand);
    return { fits: true, reservation };
  }

  /** Gives a task's share back (idempotent). */
  release(key: string): void {
    const reservation = this.held.get(key);
    if (reservation === undefined) return;
    this.held.delete(key);
    this.cpus.release(reservation.cpuIndexes);
    this.gpus.release(reservation.gpuIndexes);
    this.free = releaseCapacity(this.free, reservation.demand);
  }

  /** For logs: what is free, in the task file's units. */
  describeFree(): Record<string, unknown> {
    return { ...dumpLimits(this.free), tasks: this.held.size };
  }
}
