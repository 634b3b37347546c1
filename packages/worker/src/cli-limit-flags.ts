import type { Limits } from '@kolejka/spec';

// Plain data with no runtime imports: the CLI reads its command line before it loads
// @kolejka/spec (see cli-fast-path.ts); the values are parsed in cli-flags.ts.

/** The CLI's limit flags and how each value is read (the original's grammar, reference §3.1). */
export const LIMIT_FLAGS = {
  cpus: {
    limit: 'cpus',
    kind: 'int',
    describe: 'CPUs (a cpuset of that many consecutive host CPUs)',
  },
  memory: { limit: 'memory', kind: 'memory', describe: 'memory, e.g. 64M or 1.5G (binary units)' },
  swap: { limit: 'swap', kind: 'memory', describe: 'swap on top of memory (default: none)' },
  pids: { limit: 'pids', kind: 'int', describe: 'processes and threads' },
  storage: {
    limit: 'storage',
    kind: 'memory',
    describe: 'container disk (overlay2 on xfs with pquota only)',
  },
  image: { limit: 'image', kind: 'memory', describe: 'image size (recorded; used for scheduling)' },
  workspace: {
    limit: 'workspace',
    kind: 'memory',
    describe: 'tmpfs size for the task and result dirs',
  },
  time: {
    limit: 'time',
    kind: 'time',
    describe: 'wall-clock time, e.g. 1.5s, 500m (ms), 2M (minutes)',
  },
  network: { limit: 'network', kind: 'bool', describe: 'network access: false/no/0 disable it' },
  gpus: { limit: 'gpus', kind: 'int', describe: 'GPUs (default: as many as nvidia-smi reports)' },
} as const satisfies Record<string, { limit: keyof Limits; kind: string; describe: string }>;

export type LimitFlag = keyof typeof LIMIT_FLAGS;
