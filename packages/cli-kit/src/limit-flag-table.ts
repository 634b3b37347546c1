import type { LimitKind, LimitName } from '@kolejka/spec';

// Plain data with no runtime imports: the worker reads its command line with it before it
// loads @kolejka/spec or yargs (start-up time); limit-flags.ts does the parsing.

/** A command-line flag that sets one limit (`--gpu-memory` sets `gpu_memory`). */
export interface LimitFlag {
  flag: string;
  limit: LimitName;
  /** How the value is written (spec's LIMIT_KINDS; a test keeps the two equal). */
  kind: LimitKind;
  /** The flag as a task limit (client, worker). */
  describe: string;
  /** The flag as a foreman's capacity. */
  capacity: string;
}

/** Every limit flag of the Kolejka tools (the original's names, reference §3.1, §6, §8.1). */
export const LIMIT_FLAGS = [
  {
    flag: 'cpus',
    limit: 'cpus',
    kind: 'int',
    describe: 'CPUs (a count; the worker pins that many consecutive host CPUs)',
    capacity: 'CPUs to use [default: the CPUs this process may use]',
  },
  {
    flag: 'memory',
    limit: 'memory',
    kind: 'memory',
    describe: 'memory, e.g. 256M, 1.5G (binary units)',
    capacity: 'memory for tasks, e.g. 8G [default: physical memory or the cgroup limit]',
  },
  {
    flag: 'swap',
    limit: 'swap',
    kind: 'memory',
    describe: 'swap on top of memory, e.g. 0 (default: none)',
    capacity: 'swap budget of all tasks together',
  },
  {
    flag: 'pids',
    limit: 'pids',
    kind: 'int',
    describe: 'processes and threads (a count)',
    capacity: 'processes budget of all tasks together',
  },
  {
    flag: 'storage',
    limit: 'storage',
    kind: 'memory',
    describe: 'disk space of the container, e.g. 1G (overlay2 on xfs with pquota only)',
    capacity: 'container disk budget, e.g. 20G',
  },
  {
    flag: 'image',
    limit: 'image',
    kind: 'memory',
    describe: 'size of the Docker image, e.g. 2G (used for scheduling)',
    capacity: 'image budget: least recently used images beyond it are removed, e.g. 10G',
  },
  {
    flag: 'workspace',
    limit: 'workspace',
    kind: 'memory',
    describe: 'size of the work dir (tmpfs for the task and result dirs), e.g. 512M',
    capacity: 'tmpfs workspace budget of all running tasks, e.g. 4G [default: the machine memory]',
  },
  {
    flag: 'time',
    limit: 'time',
    kind: 'time',
    describe: 'wall time, e.g. 10s, 1500m (ms), 2M (minutes)',
    capacity: 'longest task time accepted, e.g. 10M',
  },
  {
    flag: 'network',
    limit: 'network',
    kind: 'bool',
    describe: 'network access: true or false (false/no/0 deny)',
    capacity: 'false: only tasks without network run here',
  },
  {
    flag: 'gpus',
    limit: 'gpus',
    kind: 'int',
    describe: 'GPUs (a count; default: as many as nvidia-smi reports)',
    capacity: 'GPUs to use [default: what nvidia-smi lists]',
  },
  {
    flag: 'gpu-memory',
    limit: 'gpu_memory',
    kind: 'memory',
    describe: 'GPU memory, e.g. 4G',
    capacity: 'GPU memory per task cap [default: the smallest GPU]',
  },
  {
    flag: 'perf-instructions',
    limit: 'perf_instructions',
    kind: 'bigint',
    describe: 'instructions (decimal units: 10G)',
    capacity: 'instructions cap (decimal units: 10G)',
  },
  {
    flag: 'perf-cycles',
    limit: 'perf_cycles',
    kind: 'bigint',
    describe: 'CPU cycles (decimal units)',
    capacity: 'CPU cycles cap (decimal units)',
  },
  {
    flag: 'cgroup-depth',
    limit: 'cgroup_depth',
    kind: 'int',
    describe: 'nesting of cgroups (a count)',
    capacity: 'cgroup nesting cap',
  },
  {
    flag: 'cgroup-descendants',
    limit: 'cgroup_descendants',
    kind: 'int',
    describe: 'cgroups below the task (a count)',
    capacity: 'cgroups per task cap',
  },
] as const satisfies readonly LimitFlag[];

export type LimitFlagName = (typeof LIMIT_FLAGS)[number]['flag'];

/** The rows of `names`, in the table's order (a tool that enforces only some limits). */
export function pickLimitFlags<const N extends LimitFlagName>(
  names: readonly N[],
): readonly (LimitFlag & { flag: N })[] {
  return LIMIT_FLAGS.filter((row) =>
    (names as readonly string[]).includes(row.flag),
  ) as (LimitFlag & {
    flag: N;
  })[];
}
