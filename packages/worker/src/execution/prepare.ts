import { rm } from 'node:fs/promises';
import { pullImage, inspectImage } from '../docker/image.js';
import { createJail, type Jail } from '../task-files/jail.js';
import type { ValidTask } from '../task-files/task-input.js';
import type { TaskRun } from './context.js';
import { prepareHost, type HostSetup } from './host-preparation.js';
import { settleAll } from './settle-all.js';

export interface Prepared {
  jail: Jail;
  host: HostSetup;
}

/**
 * The first phase: the jail (the task's files), the host side (parent cgroup named, CPUs,
 * GPUs, storage, observer) and the image (with `pull`), side by side.
 */
export async function prepareRun(run: TaskRun, valid: ValidTask): Promise<Prepared> {
  const { context, task, limits, options, resources, logger } = run;
  const { docker } = context;
  const [jail, host] = await settleAll([
    createJail({
      tempDir: options.tempDir,
      task,
      files: valid.files,
      ...(limits.workspace !== undefined ? { workspaceBytes: limits.workspace } : {}),
      consume: options.consume,
      logger,
    }).then(async (created) => {
      resources.holdJail(created);
      if (options.consume) await rm(valid.taskDir, { recursive: true, force: true });
      return created;
    }),
    prepareHost(context, limits, run.name, logger).then((setup) => {
      resources.holdCgroup(setup.cgroup);
      return setup;
    }),
    options.pull
      ? inspectImage(docker, task.image).then((local) =>
          pullImage(docker, task.image, { isMissingLocally: local === undefined }),
        )
      : Promise.resolve(),
  ] as const);
  logger.debug('task prepared', { jail: jail.root });
  return { jail, host };
}
