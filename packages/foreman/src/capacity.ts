import { dumpLimits, noopLogger, normalizeLimits, type Limits, type Logger } from '@kolejka/spec';
import type { MachineResources } from './machine.js';

/** Limits the machine itself bounds: configuration may lower them, never raise them. */
const MACHINE_BOUNDED = ['cpus', 'memory', 'gpus', 'gpu_memory'] as const;

/**
 * What the foreman offers the server: the machine (CPUs it may use, memory, GPUs and the
 * smallest GPU memory) lowered by configuration, plus configured budgets and caps (swap,
 * pids, storage, workspace, image, time, network, perf and cgroup limits) that have no
 * machine default, except the workspace budget: the machine's memory unless configured. Placements (`cpus_offset`, `gpus_offset`) are the foreman's own choice
 * per task and are ignored here.
 */
export function resolveCapacity(
  machine: MachineResources,
  configured: Limits,
  logger: Logger = noopLogger,
): Limits {
  const gpuMemory =
    machine.gpus.length === 0 ? undefined : Math.min(...machine.gpus.map((gpu) => gpu.memoryBytes));
  const detected: Limits = {
    cpus: machine.cpus,
    memory: machine.memoryBytes,
    gpus: machine.gpus.length,
    ...(gpuMemory === undefined ? {} : { gpu_memory: gpuMemory }),
  };
  const capacity: Limits = { ...detected };
  for (const [name, value] of Object.entries(configured) as [keyof Limits, number | boolean][]) {
    if (name === 'cpus_offset' || name === 'gpus_offset') {
      logger.warn('placement limits are chosen per task by the foreman; ignored', { limit: name });
      continue;
    }
    const bounded = (MACHINE_BOUNDED as readonly string[]).includes(name);
    const machineValue = detected[name];
    if (bounded && typeof value === 'number' && machineValue !== undefined) {
      if (value > (machineValue as number)) {
        logger.warn('configured capacity exceeds the machine; the machine value is used', {
          limit: name,
          configured: dumpLimits({ [name]: value })[name],
          machine: dumpLimits({ [name]: machineValue })[name],
        });
      }
      (capacity as Record<string, number>)[name] = Math.min(value, machineValue as number);
    } else {
      (capacity as Record<string, number | boolean>)[name] = value;
    }
  }
  // Workspaces are tmpfs mounts, in the machine's memory: together they get at most that,
  // unless configured (the server gives every task one, 1G by default).
  capacity.workspace ??= machine.memoryBytes;
  return normalizeLimits(capacity);
}
