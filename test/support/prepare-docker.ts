import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Vitest global setup for projects whose tests need Docker: runs the project's idempotent
 * scripts/prepare-docker.sh once (installs and starts the engine, builds the local images).
 * Takes a few seconds when everything is ready; set KOLEJKA_SKIP_PREPARE_DOCKER=1 to skip.
 */
export default function setup(): void {
  if (process.env.KOLEJKA_SKIP_PREPARE_DOCKER === '1') return;
  const script = path.resolve(import.meta.dirname, '../../scripts/prepare-docker.sh');
  const run = spawnSync(script, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 15 * 60_000 });
  if (run.status !== 0) {
    throw new Error(
      `${script} failed (status ${run.status ?? run.signal}); the Docker tests cannot run`,
    );
  }
}
