import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { detectGpus, type GpuInfo } from '@kolejka/worker';

/** What this machine offers before configuration lowers it. */
export interface MachineResources {
  /** CPUs this process may use (its affinity mask; containers get cpusets within them). */
  cpus: number;
  /** Physical memory, or the memory limit of the foreman's own cgroup when that is lower. */
  memoryBytes: number;
  gpus: GpuInfo[];
  hostname: string;
}

/** The seams of machine detection (unit tests replace them). */
export interface MachineProbes {
  availableParallelism: () => number;
  totalMemory: () => number;
  /** The cgroup memory limit of this process, or undefined/0 when there is none. */
  constrainedMemory: () => number | undefined;
  cgroupMemoryLimit: () => Promise<number | undefined>;
  detectGpus: () => Promise<GpuInfo[]>;
  hostname: () => string;
}

const UNLIMITED_V1 = 2 ** 62;

/**
 * The memory limit of this process's cgroup from /proc/self/cgroup and /sys/fs/cgroup
 * (v2 `memory.max`, v1 `memory.limit_in_bytes`). Node's `process.constrainedMemory()`
 * reads the same on most versions; this is the fallback where it answers 0.
 */
export async function readCgroupMemoryLimit(
  procSelfCgroup = '/proc/self/cgroup',
  root = '/sys/fs/cgroup',
): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(procSelfCgroup, 'utf8');
  } catch {
    return undefined;
  }
  const candidates: string[] = [];
  for (const line of text.split('\n')) {
    const [id, controllers, group] = line.split(':');
    if (group === undefined) continue;
    if (id === '0' && controllers === '') candidates.push(`${root}${group}/memory.max`);
    else if (controllers?.split(',').includes('memory'))
      candidates.push(`${root}/memory${group}/memory.limit_in_bytes`);
  }
  for (const file of candidates) {
    try {
      const value = (await readFile(file, 'utf8')).trim();
      if (value === 'max') return undefined;
      const bytes = Number(value);
      if (Number.isFinite(bytes) && bytes > 0 && bytes < UNLIMITED_V1) return bytes;
    } catch {
      // Not mounted here (e.g. inside a container without the hierarchy): try the next one.
    }
  }
  return undefined;
}

export const defaultMachineProbes: MachineProbes = {
  availableParallelism: () => os.availableParallelism(),
  totalMemory: () => os.totalmem(),
  constrainedMemory: () => process.constrainedMemory(),
  cgroupMemoryLimit: () => readCgroupMemoryLimit(),
  detectGpus,
  hostname: () => os.hostname(),
};

export async function detectMachine(
  probes: MachineProbes = defaultMachineProbes,
): Promise<MachineResources> {
  const total = probes.totalMemory();
  const limits = [total];
  const constrained = probes.constrainedMemory();
  if (constrained !== undefined && constrained > 0) limits.push(constrained);
  const cgroup = await probes.cgroupMemoryLimit();
  if (cgroup !== undefined) limits.push(cgroup);
  return {
    cpus: Math.max(1, probes.availableParallelism()),
    memoryBytes: Math.min(...limits),
    gpus: await probes.detectGpus(),
    hostname: probes.hostname(),
  };
}
