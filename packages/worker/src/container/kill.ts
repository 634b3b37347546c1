import { readFile } from 'node:fs/promises';
import type { DockerContainer } from '../docker/engine.js';

/**
 * Kills a running container as fast as possible: SIGKILL straight to its init process
 * when that pid provably belongs to the container (its /proc cgroup names the container,
 * which guards against a reused pid), which ends the whole pid namespace within a few
 * milliseconds; then through the API too (also the only way with a remote engine).
 */
export async function killContainer(
  container: DockerContainer,
  pid: number | undefined,
): Promise<void> {
  if (pid !== undefined && pid > 0) {
    try {
      const cgroups = await readFile(`/proc/${pid}/cgroup`, 'utf8');
      if (cgroups.includes(container.id)) process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already, or not visible from here: the API call below does it.
    }
  }
  try {
    await container.kill({ signal: 'SIGKILL' });
  } catch {
    // 409 "is not running": it already stopped.
  }
}
