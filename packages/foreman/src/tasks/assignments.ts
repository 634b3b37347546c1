import {
  combineLimits,
  dumpLimits,
  parseLimits,
  parseTask,
  type ServerMessage,
  type ServerWelcome,
  type TaskAssign,
  type TaskCancel,
} from '@kolejka/spec';
import type { ResultUploads } from './result-uploads.js';
import { LocalTask, type StopCause } from './local-task.js';
import { forget, reportFailure, type ForemanRuntime } from './runtime.js';
import { runTask } from './task-runner.js';
import { removeWorkDir, workDirOf } from './work-dirs.js';

/** Flags of the foreman that decide whether new work is taken. */
export interface WorkState {
  isClosing: boolean;
  /** Draining on its own (SIGTERM): rejects assignments; the hello says so. */
  isDraining: boolean;
  /** Drained by an administrator through the server (the server sends nothing new). */
  isDrainedByServer: boolean;
}

/**
 * What the foreman does with the server's messages: accepts an assignment when its own
 * ledger has room (else rejects it with the reason), starts the run, stops runs on
 * `task:cancel`, and after each welcome stops what the server dropped and resumes what it
 * kept (pending failure reports, spooled results).
 */
export class Assignments {
  constructor(
    private readonly runtime: ForemanRuntime,
    private readonly uploads: ResultUploads,
    private readonly state: WorkState,
  ) {}

  /** A task of this foreman: a new assignment, or (`spooled`) a result an earlier run left. */
  newLocal(key: string, attempt: number, phase: 'preparing' | 'spooled' = 'preparing'): LocalTask {
    const workDir = workDirOf(this.runtime.options.tempDir, { key, attempt });
    return new LocalTask(key, attempt, workDir, () => this.runtime.changed(), phase);
  }

  /** Aborts a run (its container dies within the second) and gives its capacity back at once. */
  stop(local: LocalTask, cause: StopCause): void {
    if (local.phase === 'confirming') {
      // Its result was sent: the server no longer holding the task means it took it.
      void this.uploads.confirmed(local, cause);
      return;
    }
    local.stop(cause);
    this.runtime.ledger.release(local.runId);
    if (local.phase === 'spooled' || local.phase === 'failing') {
      void removeWorkDir(local.workDir.root, this.runtime.logger);
      forget(this.runtime, local);
    }
  }

  onMessage(message: Exclude<ServerMessage, ServerWelcome>): void {
    switch (message.type) {
      case 'task:assign':
        return this.onAssign(message);
      case 'task:cancel':
        return this.onCancel(message);
      case 'foreman:drain':
        this.state.isDrainedByServer = message.draining;
        this.runtime.logger.info(
          message.draining ? 'drained by the server' : 'undrained by the server',
        );
        return;
      case 'result:stored': {
        const local = this.runtime.tasks.get(message.key);
        if (local?.phase === 'confirming' && local.attempt === message.attempt)
          void this.uploads.confirmed(local, 'result:stored');
        return;
      }
      case 'error': {
        // A refusal of a result sent in task:finished names its task.
        const details = message.details as { key?: unknown; attempt?: unknown } | undefined;
        const local =
          typeof details?.key === 'string' ? this.runtime.tasks.get(details.key) : undefined;
        if (local?.phase === 'confirming' && local.attempt === details?.attempt)
          void this.uploads.refused(local, message.code, message.message);
        return;
      }
    }
  }

  private onAssign(message: TaskAssign): void {
    const { runtime, state } = this;
    const { logger, tasks, ledger } = runtime;
    const { key, attempt } = message;
    const reject = (reason: string): void => {
      logger.info('task rejected', { task: key, attempt, reason });
      // About this foreman, not the task: the server does not count it against the task.
      runtime.send({ type: 'task:rejected', key, attempt, reason, isTransient: true });
    };
    if (state.isClosing) return reject('the foreman is stopping');
    if (state.isDraining) return reject('the foreman is draining');
    // The server sends nothing new to a drained foreman; one crossing the drain goes back.
    if (state.isDrainedByServer) return reject('the foreman is drained');
    const noRoom = runtime.disk.refusal();
    if (noRoom !== undefined) return reject(noRoom);
    const existing = tasks.get(key);
    if (existing !== undefined) {
      if (existing.attempt === attempt) {
        runtime.send({ type: 'task:accepted', key, attempt });
        return;
      }
      if (existing.attempt > attempt) return reject(`attempt ${existing.attempt} runs here`);
      this.stop(existing, 'superseded');
      if (tasks.get(key) === existing) tasks.delete(key);
    }
    const local = this.newLocal(key, attempt);
    let task;
    try {
      task = parseTask(message.task);
    } catch (error) {
      tasks.set(key, local);
      reportFailure(runtime, local, `invalid task: ${(error as Error).message}`);
      return;
    }
    const outcome = ledger.reserve(local.runId, {
      requires: task.requires,
      ...(task.exclusive === undefined ? {} : { exclusive: task.exclusive }),
      limits: combineLimits(task.limits, parseLimits(message.limits)),
    });
    if (!outcome.fits) return reject(outcome.reason);
    tasks.set(key, local);
    runtime.send({ type: 'task:accepted', key, attempt });
    logger.debug('task accepted', {
      task: key,
      attempt,
      limits: dumpLimits(outcome.reservation.limits),
    });
    runtime.changed();
    local.run = runTask(runtime, this.uploads, local, task, outcome.reservation).catch(
      (error: unknown) => {
        logger.error('task run failed unexpectedly', { task: key, error: String(error) });
        ledger.release(local.runId);
        forget(runtime, local);
      },
    );
  }

  private onCancel(message: TaskCancel): void {
    const local = this.runtime.tasks.get(message.key);
    if (local?.attempt !== message.attempt) return;
    this.runtime.logger.info('task cancelled by the server', {
      task: message.key,
      reason: message.reason,
    });
    this.stop(local, 'cancelled');
  }

  onWelcome(welcome: ServerWelcome, url: string): void {
    const { runtime } = this;
    this.state.isDrainedByServer = welcome.draining;
    runtime.logger.info('connected', {
      server: url,
      serverId: welcome.serverId,
      kept: welcome.kept.length,
      dropped: welcome.dropped.length,
      drainedByServer: welcome.draining,
    });
    for (const task of welcome.dropped) {
      const local = runtime.tasks.get(task.key);
      if (local?.attempt !== task.attempt) continue;
      if (local.phase !== 'confirming') {
        runtime.logger.warn('the server dropped a task of this foreman; it is stopped', {
          task: task.key,
        });
      }
      this.stop(local, 'dropped');
    }
    for (const task of welcome.kept) {
      const local = runtime.tasks.get(task.key);
      if (local?.attempt !== task.attempt) continue;
      if (local.phase === 'failing' && local.failure !== undefined) {
        const isSent = runtime.send({
          type: 'task:failed',
          key: local.key,
          attempt: local.attempt,
          reason: local.failure,
        });
        if (isSent) forget(runtime, local);
      } else this.uploads.retryNow(local);
    }
  }
}
