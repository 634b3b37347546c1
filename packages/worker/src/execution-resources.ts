import type { Logger } from '@kolejka/spec';
import { dockerMessage, type DockerContainer } from './docker-engine.js';
import { removeJail, type Jail } from './jail.js';
import type { TaskCgroup } from './task-cgroup.js';

/** Resources of one run, released in a safe order whatever happened. */
export class Resources {
  jail: Jail | undefined;
  container: DockerContainer | undefined;
  cgroup: TaskCgroup | undefined;
  private containerRemoval: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /** Removes the container (killing it if needed), then its parent cgroup. */
  removeContainer(): Promise<void> {
    this.containerRemoval ??= (async () => {
      const container = this.container;
      if (container !== undefined) {
        try {
          await container.remove({ force: true, v: true });
        } catch (error) {
          if (!/no such container|404/i.test(dockerMessage(error))) {
            this.logger.error('cannot remove the container', {
              container: container.id,
              error: dockerMessage(error),
            });
          }
        }
      }
      await this.cgroup?.remove();
    })();
    return this.containerRemoval;
  }

  async release(): Promise<void> {
    await Promise.all([
      this.removeContainer(),
      this.jail ? removeJail(this.jail, this.logger) : undefined,
    ]);
  }
}
