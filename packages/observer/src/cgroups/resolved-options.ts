import { noopLogger, type Logger } from '@kolejka/spec';
import type { CgroupsOptions, CgroupVersion } from './cgroups.js';

export interface ResolvedCgroupsOptions {
  root: string;
  version: CgroupVersion | undefined;
  procRoot: string;
  logger: Logger;
  freezeTimeoutMs: number;
  killTimeoutMs: number;
  clockTicksPerSecond: number | undefined;
}

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

export function resolveCgroupsOptions(options: CgroupsOptions = {}): ResolvedCgroupsOptions {
  return {
    root: options.root ?? DEFAULT_CGROUP_ROOT,
    version: options.version,
    procRoot: options.procRoot ?? '/proc',
    logger: options.logger ?? noopLogger,
    freezeTimeoutMs: options.freezeTimeoutMs ?? 5000,
    killTimeoutMs: options.killTimeoutMs ?? 10_000,
    clockTicksPerSecond: options.clockTicksPerSecond,
  };
}
