import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ContainerRun } from '../container/run.js';
import { containerSpec } from '../container/spec.js';
import type { DockerContainer } from '../docker/engine.js';
import { dockerError } from '../docker/errors.js';
import type { TaskRun } from './context.js';
import { createContainer } from './create-container.js';
import { OutputCapture } from './output-capture.js';
import type { Prepared } from './prepare.js';
import { settleAll } from './settle-all.js';

/** A created container with its output being captured (and its stdin fed), not started yet. */
export interface Attached {
  container: DockerContainer;
  run: ContainerRun;
  capture: OutputCapture;
  /** The hijacked connection: stdin one way, the multiplexed output the other. */
  stream: NodeJS.ReadWriteStream;
  /** Settles once the captured output ended. */
  drained: Promise<void>;
  /** Docker enforces the storage limit (false also when none was asked for). */
  isStorageLimited: boolean;
}

/** The second phase: the container created (beside its parent cgroup), attached, stdin fed. */
export async function createAndAttach(run: TaskRun, prepared: Prepared): Promise<Attached> {
  const { context, task, options, resources, logger, name } = run;
  const { jail, host } = prepared;
  const { cgroup, ...setup } = host;
  const hasStdin = task.stdin !== undefined;
  const spec = containerSpec({
    name,
    task,
    limits: run.limits,
    taskDir: jail.taskDir,
    resultDir: jail.resultDir,
    ...setup,
    hasStdin,
    // stderr is always attached: when docker-init cannot exec the command, it says why there.
    attachOutput: true,
    labels: options.labels,
  });
  // The parent cgroup is made while Docker creates the container: only the start needs it.
  const [{ container, isStorageLimited }] = await settleAll([
    createContainer(context.docker, spec, options.pull, logger).then((created) => ({
      ...created,
      container: resources.holdContainer(created.container),
    })),
    cgroup ? cgroup.make(run.limits) : Promise.resolve(),
  ] as const);
  logger.debug('container created', { container: container.id, name });
  options.onEvent({ type: 'container:created', containerId: container.id, name });

  const containerRun = new ContainerRun(container, logger);
  const capture = new OutputCapture({
    ...(task.stdout !== undefined ? { stdoutFile: path.join(jail.outputDir, 'stdout') } : {}),
    ...(task.stderr !== undefined
      ? {
          stderrFile: path.join(jail.outputDir, task.stderr === task.stdout ? 'stdout' : 'stderr'),
        }
      : {}),
    limitBytes: options.outputLimitBytes,
    onLimit: () => containerRun.kill('output_limit'),
    onWriteError: (error) => {
      logger.warn('the output cannot be written; killing the container', { error: error.message });
      containerRun.kill('disk_full');
    },
  });
  const stream = await container
    .attach({
      stream: true,
      hijack: true,
      stdin: hasStdin,
      stdout: task.stdout !== undefined,
      stderr: true,
    })
    .catch((error: unknown) => {
      throw dockerError('cannot attach to the container', error);
    });
  const drained = capture.consume(stream as unknown as Readable);
  if (task.stdin !== undefined) {
    const source = path.join(jail.taskDir, task.stdin);
    void pipeline(createReadStream(source), stream, { end: true }).catch((error: unknown) => {
      logger.debug('stdin stopped early', { error: (error as Error).message });
    });
  }
  return { container, run: containerRun, capture, stream, drained, isStorageLimited };
}
