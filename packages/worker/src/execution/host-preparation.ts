import { KolejkaError, type Limits, type Logger } from '@kolejka/spec';
import type { Cgroups } from '@kolejka/observer';
import { chooseGpus } from '../container/spec.js';
import type { DockerInfo } from '../docker/engine.js';
import type { ExecutionContext } from './context.js';
import { observerSocketExists } from '../host-probes.js';
import { TaskCgroup, taskCgroupName, type CgroupDriver } from '../container/cgroup.js';

/** What the host side decided for the container (see ContainerPlan). */
export interface HostSetup {
  /** The task's parent cgroup, planned (not made yet), when there is a cgroup library. */
  cgroup?: TaskCgroup;
  cgroupParent?: string;
  cpuset?: string;
  gpuIds?: string[];
  storageSupported: boolean;
  observerSocket: boolean;
}

/** Host-side preparations that do not depend on the jail: cgroup, CPUs, GPUs, storage, observer. */
export async function prepareHost(
  context: ExecutionContext,
  limits: Limits,
  name: string,
  logger: Logger,
): Promise<HostSetup> {
  // The parent cgroup is only named here: it is made beside the container's creation
  // (Docker needs it at the start, not at the create), see create-and-attach.ts.
  const { cgroups } = context;
  const needInfo = cgroups !== undefined || limits.storage !== undefined;
  const [info, observerSocket] = await Promise.all([
    needInfo ? context.info() : undefined,
    observerSocketExists(),
  ]);
  if (!observerSocket)
    logger.warn('the observer is not running: its socket is not bound into the container');
  const out: HostSetup = { storageSupported: false, observerSocket };
  const cgroup = cgroups
    ? TaskCgroup.plan(cgroups, cgroupDriver(info), taskCgroupName(name), logger)
    : undefined;
  const available = limits.cpus !== undefined ? await availableCpus(cgroups) : undefined;
  if (cgroup) {
    out.cgroup = cgroup;
    out.cgroupParent = cgroup.dockerParent;
  }
  if (limits.cpus !== undefined && available !== undefined) {
    // Loaded when needed, not with this module: @kolejka/observer is heavy to load (its
    // index carries the daemon and winston), and a worker given `cgroups: null` or its own
    // cgroup library needs nothing else from it.
    const { formatCpuList, pickCpus } = await import('@kolejka/observer');
    out.cpuset = formatCpuList(pickCpus(available, limits.cpus, limits.cpus_offset ?? 0));
  }
  if (limits.gpus !== undefined && limits.gpus > 0) {
    const { countGpus } = await import('../host-probes.js');
    const count = await countGpus();
    if (count === 0) {
      throw new KolejkaError(
        'KOLEJKA_UNAVAILABLE',
        `the task gets ${limits.gpus} GPU(s) but nvidia-smi reports none`,
      );
    }
    out.gpuIds = chooseGpus(count, limits.gpus, limits.gpus_offset ?? 0);
  }
  if (limits.storage !== undefined) {
    out.storageSupported = storageQuotaPossible(info);
    if (!out.storageSupported) {
      logger.warn(
        'the storage limit is not enforced: it needs the overlay2 driver on xfs with pquota',
        {
          driver: info?.Driver,
        },
      );
    }
  }
  return out;
}

function cgroupDriver(info: DockerInfo | undefined): CgroupDriver {
  return info?.CgroupDriver === 'systemd' ? 'systemd' : 'cgroupfs';
}

async function availableCpus(cgroups: Cgroups | undefined): Promise<number[]> {
  if (cgroups) return cgroups.availableCpus('/');
  const os = await import('node:os');
  return os.cpus().map((_, index) => index);
}

/** Docker enforces `--storage-opt size` only for overlay2 on xfs (mounted with pquota). */
export function storageQuotaPossible(info: DockerInfo | undefined): boolean {
  if (info?.Driver !== 'overlay2') return false;
  const backing = info.DriverStatus?.find(([key]) => key === 'Backing Filesystem')?.[1];
  return backing === 'xfs';
}
