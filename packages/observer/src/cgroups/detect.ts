import path from 'node:path';
import { KolejkaError } from '@kolejka/spec';
import type { CgroupVersion, Cgroups, CgroupsOptions, DetectCgroups } from './cgroups.js';
import { fileExists } from './cgroup-fs.js';
import { CgroupsV1 } from './cgroups-v1.js';
import { findV1Mounts } from './v1-mounts.js';
import { CgroupsV2 } from './cgroups-v2.js';
import { resolveCgroupsOptions } from './resolved-options.js';

/**
 * Which cgroup version is mounted at `root`: a unified (v2) mount has cgroup.controllers at
 * its top; a v1 layout has one directory per controller (memory/tasks). The hybrid layout of
 * systemd (v1 controllers plus a controller-less v2 at <root>/unified) is v1: the v2 part
 * has no memory, cpu or pids to offer.
 */
export async function detectCgroupVersion(root: string): Promise<CgroupVersion> {
  if (await fileExists(path.join(root, 'cgroup.controllers'))) return 'v2';
  if (await fileExists(path.join(root, 'memory', 'tasks'))) return 'v1';
  throw new KolejkaError(
    'KOLEJKA_UNAVAILABLE',
    `no cgroup hierarchy under ${root}: expected ${root}/cgroup.controllers (cgroup v2) or ${root}/memory/tasks (cgroup v1)`,
  );
}

/** Detects the cgroup version under `options.root` (default /sys/fs/cgroup) and returns the library. */
export const detectCgroups: DetectCgroups = async (options: CgroupsOptions = {}) => {
  const resolved = resolveCgroupsOptions(options);
  const version = resolved.version ?? (await detectCgroupVersion(resolved.root));
  const cgroups: Cgroups =
    version === 'v2'
      ? new CgroupsV2(resolved)
      : new CgroupsV1(resolved, await findV1Mounts(resolved.root));
  resolved.logger.debug('cgroups detected', { root: resolved.root, version });
  return cgroups;
};
