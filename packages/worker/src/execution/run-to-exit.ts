import type { TaskCgroup } from '../container/cgroup.js';
import { dockerError } from '../docker/errors.js';
import type { Attached } from './create-and-attach.js';
import type { TaskRun } from './context.js';

/** How the container's run ended: it never started (the command cannot run), or it exited. */
export type Exit =
  | { isStarted: false; exitCode: number; message: string }
  | { isStarted: true; hostStartMs: number; statusCode: number };

/**
 * The third phase: start, then wait for the stop; meanwhile the cgroup is sampled, the time
 * limit's host timer is armed and an abort kills the container.
 */
export async function runToExit(
  run: TaskRun,
  attached: Attached,
  cgroup: TaskCgroup | undefined,
): Promise<Exit> {
  const { options, limits, resources, logger, name } = run;
  const { container, run: containerRun } = attached;
  const started = await containerRun.start();
  if (started.failed !== undefined) return { isStarted: false, ...started.failed };
  const { hostStartMs } = started;
  options.onEvent({
    type: 'container:started',
    containerId: container.id,
    name,
    startedAt: new Date(hostStartMs),
  });
  logger.debug('container started', { container: container.id });
  cgroup?.startSampling(container.id, run.context.sampleIntervalMs);
  const onAbort = (): void => containerRun.kill('cancelled');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  if (limits.time !== undefined) containerRun.armDeadline(hostStartMs, limits.time);
  const waited = await container
    .wait({ condition: 'not-running' })
    .catch((error: unknown) => {
      throw dockerError('lost the container while waiting for it', error);
    })
    .finally(() => {
      containerRun.stopped();
      options.signal?.removeEventListener('abort', onAbort);
    });
  resources.containerStopped();
  logger.debug('container stopped', { status: waited.StatusCode });
  return { isStarted: true, hostStartMs, statusCode: waited.StatusCode };
}
