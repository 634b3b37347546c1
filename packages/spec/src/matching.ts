import { demandOf, type Demand } from './capacity.js';
import {
  CONSUMABLE_LIMITS,
  combineLimits,
  dumpLimits,
  type LimitName,
  type Limits,
} from './limits.js';

/** What the matching rule needs of a task. */
export interface TaskRequirements {
  requires: readonly string[];
  limits: Limits;
  exclusive?: boolean;
}

/** What the matching rule needs of a foreman. */
export interface ForemanOffer {
  tags: readonly string[];
  /** Everything the foreman has (its limits); an absent field is not advertised. */
  capacity: Limits;
  /** What is free now: `capacity` minus the demands of running tasks. */
  free: Limits;
  /** How many tasks it runs now. */
  runningTasks: number;
  /** Whether one of them is exclusive (then nothing else may join it). */
  isRunningExclusive?: boolean;
}

export type Match =
  | {
      fits: true;
      /** The task's limits combined with the foreman's: what the task will run with. */
      limits: Limits;
      /** What it takes from the foreman's free capacity. */
      demand: Demand;
    }
  | {
      fits: false;
      /** True when the task can never run on this foreman (tags, caps, total capacity);
       * false when it only has to wait for capacity to free up. */
      isPermanent: boolean;
      reason: string;
    };

/** Limits that cap a task without being used up by it. */
const CAPS = [
  'time',
  'image',
  'gpu_memory',
  'perf_instructions',
  'perf_cycles',
  'cgroup_depth',
  'cgroup_descendants',
] as const satisfies readonly LimitName[];

function shown(name: LimitName, value: number | boolean): string {
  return String(dumpLimits({ [name]: value })[name]);
}

const never = (reason: string): Match => ({ fits: false, isPermanent: true, reason });
const later = (reason: string): Match => ({ fits: false, isPermanent: false, reason });

/**
 * Can this task run on this foreman now? The original's rule (reference §7.8: `requires` ⊆
 * tags, limits within what the foreman has, exclusive tasks alone) without its trap: a task
 * that omits a limit the foreman advertises is still eligible and gets the foreman's value.
 * Used by both the server's scheduler and the foreman.
 */
export function matchTask(task: TaskRequirements, foreman: ForemanOffer): Match {
  const missing = task.requires.filter((tag) => !foreman.tags.includes(tag));
  if (missing.length > 0)
    return never(
      `foreman lacks the required tags ${missing.map((tag) => JSON.stringify(tag)).join(', ')}`,
    );

  const { limits, capacity, free } = {
    limits: task.limits,
    capacity: foreman.capacity,
    free: foreman.free,
  };
  for (const name of CAPS) {
    const wanted = limits[name];
    const allowed = capacity[name];
    if (wanted !== undefined && allowed !== undefined && wanted > allowed) {
      return never(
        `task asks for ${name} ${shown(name, wanted)}, the foreman allows at most ${shown(name, allowed)}`,
      );
    }
  }
  if (limits.network === true && capacity.network === false)
    return never('task needs network, the foreman offers none');
  if (limits.gpus !== undefined && limits.gpus > 0 && (capacity.gpus ?? 0) < limits.gpus) {
    return never(`task asks for ${limits.gpus} GPUs, the foreman has ${capacity.gpus ?? 0}`);
  }

  for (const name of CONSUMABLE_LIMITS) {
    const wanted = limits[name];
    const total = capacity[name];
    if (wanted !== undefined && total !== undefined && wanted > total) {
      return never(
        `task asks for ${name} ${shown(name, wanted)}, the foreman has ${shown(name, total)} in all`,
      );
    }
  }

  const effective = combineLimits(limits, capacity);
  const demand = demandOf(effective);

  if (foreman.isRunningExclusive === true) return later('foreman runs an exclusive task');
  if (task.exclusive === true && foreman.runningTasks > 0)
    return later('exclusive task waits for an idle foreman');
  for (const name of CONSUMABLE_LIMITS) {
    const wanted = demand[name];
    const available = free[name];
    if (wanted !== undefined && available !== undefined && wanted > available) {
      return later(
        `task needs ${name} ${shown(name, wanted)}, ${shown(name, Math.max(0, available))} is free`,
      );
    }
  }
  return { fits: true, limits: effective, demand };
}
