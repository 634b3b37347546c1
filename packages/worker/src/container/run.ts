import type { Logger } from '@kolejka/spec';
import { killContainer } from './kill.js';
import { dockerTimeMs, parseDockerTime } from '../docker/time.js';
import { dockerMessage } from '../docker/api-error.js';
import type { DockerContainer } from '../docker/engine.js';
import { dockerError } from '../docker/errors.js';
import type { KillReason } from '../execution/termination.js';

/** Start failures that are the task's fault (a bad command), with the shell's status codes. */
function execFailureStatus(message: string): number | undefined {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|exec format error|is a directory|not a directory/i.test(message))
    return 126;
  return undefined;
}

/** A container from its start to its stop: start, deadline, kills. */
export class ContainerRun {
  killedFor: KillReason | undefined;
  private pid: number | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private state: 'created' | 'running' | 'stopped' = 'created';

  constructor(
    private readonly container: DockerContainer,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<{ hostStartMs: number; failed?: { exitCode: number; message: string } }> {
    try {
      await this.container.start();
    } catch (error) {
      this.state = 'stopped';
      const message = dockerMessage(error);
      const status = execFailureStatus(message);
      if (status === undefined) throw dockerError('cannot start the container', error);
      return {
        hostStartMs: Date.now(),
        failed: { exitCode: status, message: `the command could not be started: ${message}` },
      };
    }
    const hostStartMs = Date.now();
    this.state = 'running';
    // A kill asked for while start() was in flight (e.g. output flooding at once) happens now.
    if (this.killedFor !== undefined) void killContainer(this.container, this.pid);
    return { hostStartMs };
  }

  /**
   * Kills at `timeSeconds` after the start: armed at once from the host's view of the start,
   * then re-armed from Docker's own StartedAt (a few ms earlier) once inspected.
   */
  armDeadline(hostStartMs: number, timeSeconds: number): void {
    const arm = (fromMs: number): void => {
      if (this.state !== 'running') return;
      clearTimeout(this.deadline);
      this.deadline = setTimeout(
        () => this.kill('time_limit'),
        Math.max(0, fromMs + timeSeconds * 1000 - Date.now()),
      );
    };
    arm(hostStartMs);
    this.container.inspect().then(
      (inspected) => {
        this.pid = inspected.State.Pid;
        const started = parseDockerTime(inspected.State.StartedAt);
        if (started !== undefined) arm(Math.min(dockerTimeMs(started), hostStartMs));
      },
      () => undefined,
    );
  }

  kill(reason: KillReason): void {
    if (this.state === 'stopped' || this.killedFor !== undefined) return;
    this.killedFor = reason;
    this.logger.info('killing the container', { reason });
    if (this.state === 'running') void killContainer(this.container, this.pid);
  }

  stopped(): void {
    this.state = 'stopped';
    clearTimeout(this.deadline);
  }
}
