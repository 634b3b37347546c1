import { randomBytes } from 'node:crypto';
import { detectCgroups } from '@kolejka/observer';
import { peaksWithoutCounter, type PeakStat } from '@kolejka/spec';
import { WORKER_CGROUP_ROOT } from '../../src/container/cgroup.js';

/** What this host's kernel counts and limits in a cgroup (the expectations of a real run). */
export interface HostCgroupFeatures {
  hasSwapAccounting: boolean;
  /** Peaks the kernel keeps no counter for (e.g. v2 memory.peak before Linux 5.19). */
  peaksWithoutCounter: PeakStat[];
}

/** Reads a fresh cgroup where the worker makes its task cgroups, then removes it. */
export async function probeHostCgroups(): Promise<HostCgroupFeatures> {
  const cgroups = await detectCgroups();
  const name = `probe-${randomBytes(4).toString('hex')}`;
  const probe = await cgroups.create(`${WORKER_CGROUP_ROOT}/${name}`);
  try {
    return {
      hasSwapAccounting: await probe.hasSwapAccounting(),
      peaksWithoutCounter: peaksWithoutCounter(await probe.readStats()),
    };
  } finally {
    await probe.remove();
  }
}
