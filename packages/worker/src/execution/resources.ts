import type { Logger } from '@kolejka/spec';
import type { TaskCgroup } from '../container/cgroup.js';
import { dockerMessage } from '../docker/api-error.js';
import type { DockerContainer } from '../docker/engine.js';
import { removeJail, type Jail } from '../task-files/jail.js';

/**
 * Resources of one run, released in a safe order whatever happened: the container first,
 * then its parent cgroup (which must outlive the container's stats being read), and the
 * jail. The phases hand over what they make as soon as it exists; each removal starts at
 * most once, as early as the run allows.
 */
export class Resources {
  private jail: Jail | undefined;
  private container: DockerContainer | undefined;
  private cgroup: TaskCgroup | undefined;
  /** Docker reported the container stopped (its processes are gone). */
  private isContainerStopped = false;
  private containerRemoval: Promise<void> | undefined;
  private cgroupRemoval: Promise<void> | undefined;
  private jailRemoval: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  holdJail(jail: Jail): Jail {
    this.jail = jail;
    return jail;
  }

  holdContainer(container: DockerContainer): DockerContainer {
    this.container = container;
    return container;
  }

  holdCgroup(cgroup: TaskCgroup | undefined): void {
    this.cgroup = cgroup;
  }

  /** Docker reported the container stopped: its parent cgroup may go without waiting for it. */
  containerStopped(): void {
    this.isContainerStopped = true;
  }

  /** Removes the container (killing it if needed). */
  removeContainer(): Promise<void> {
    this.containerRemoval ??= (async () => {
      const container = this.container;
      if (container === undefined) return;
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
    })();
    return this.containerRemoval;
  }

  /**
   * Removes the parent cgroup (call once its stats are read): at once when the container is
   * known to have stopped (Docker deletes the container's own cgroup before it reports the
   * stop, so the parent is empty), otherwise after the container is removed.
   */
  removeCgroup(): Promise<void> {
    this.cgroupRemoval ??= (
      this.isContainerStopped ? Promise.resolve() : this.removeContainer()
    ).then(() => this.cgroup?.remove());
    return this.cgroupRemoval;
  }

  /** Removes the jail (call once the result has been taken out of it). */
  removeJail(): Promise<void> {
    this.jailRemoval ??= this.jail ? removeJail(this.jail, this.logger) : Promise.resolve();
    return this.jailRemoval;
  }

  /** Releases everything; a jail still bound into a live container goes after the container. */
  async release(): Promise<void> {
    await Promise.all([this.removeCgroup(), this.removeContainer().then(() => this.removeJail())]);
  }
}
