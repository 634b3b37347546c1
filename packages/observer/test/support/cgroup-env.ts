import { randomBytes } from 'node:crypto';
import { detectCgroups, type Cgroups } from '../../src/index.js';

/**
 * The real cgroup hierarchy of this machine, when tests may use it: root, and the version
 * asked for. Tests that need it skip with `reason` otherwise (for example on a CI runner
 * without root, or on a v2 host for the v1 tests).
 */
export interface RealCgroups {
  cgroups: Cgroups | undefined;
  reason: string;
}

export async function realCgroups(version: 'v1' | 'v2', root?: string): Promise<RealCgroups> {
  if (process.getuid?.() !== 0) return requireCgroups({ cgroups: undefined, reason: 'needs root' });
  try {
    const cgroups = await detectCgroups(root === undefined ? {} : { root });
    if (cgroups.version !== version) {
      return {
        cgroups: undefined,
        reason: `this machine has cgroup ${cgroups.version} at ${cgroups.root}, not ${version}`,
      };
    }
    return { cgroups, reason: '' };
  } catch (error) {
    return requireCgroups({ cgroups: undefined, reason: (error as Error).message });
  }
}

/**
 * With KOLEJKA_TEST_REQUIRE_CGROUPS=1 (the CI workflow's root step) a test that cannot use
 * the machine's cgroups fails instead of skipping; the other version's tests still skip.
 */
export function requireCgroups<T extends { reason: string }>(found: T): T {
  if (process.env.KOLEJKA_TEST_REQUIRE_CGROUPS === '1') {
    throw new Error(
      `KOLEJKA_TEST_REQUIRE_CGROUPS=1, but the cgroup tests cannot run: ${found.reason}`,
    );
  }
  return found;
}

/** A fresh top-level test cgroup path ("/kolejka-test-observer-<random>"). */
export function testCgroupPath(label: string): string {
  return `/kolejka-test-observer-${label}-${randomBytes(4).toString('hex')}`;
}
