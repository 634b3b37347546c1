import { backoffDelayMs } from '@kolejka/cli-kit/backoff';
import { classifyUploadError } from './failures.js';
import type { LocalTask } from './local-task.js';
import { forget, reportFailure, type ForemanRuntime } from './runtime.js';
import { removeWorkDir, spoolResult } from './work-dirs.js';

/**
 * Pauses between upload retries of a spooled result: 1 s doubling to 1 minute, jittered,
 * and at least 200 ms so that a jitter near zero does not spin.
 */
const RETRY_BACKOFF = { baseMs: 1000, maxMs: 60_000, minMs: 200 };

/**
 * Results owed to the server. A finished task's result dir is marked in the spool first
 * (`spool.json`, written atomically), then uploaded: the files with deduplication, then
 * the fenced `PUT /api/v1/tasks/{key}/result` with the attempt, then `task:finished`. A
 * failed upload stays spooled and is retried with backoff — also by the next foreman
 * process after a restart — until the server takes it, or refuses it for this attempt
 * (stale, deleted), when it is dropped with a log line. Nothing is lost.
 */
export class ResultUploads {
  constructor(private readonly runtime: ForemanRuntime) {}

  /** The worker wrote the result: spool it and send it. */
  async submit(local: LocalTask): Promise<void> {
    local.uploadingResult();
    try {
      await spoolResult(local.workDir, local, this.runtime.logger);
    } catch (error) {
      reportFailure(this.runtime, local, `the result could not be kept: ${String(error)}`);
      await removeWorkDir(local.workDir.root, this.runtime.logger);
      return;
    }
    if (this.runtime.canPushResults() && this.runtime.server.uploadResult !== undefined)
      await this.push(local);
    else await this.upload(local);
  }

  /**
   * Protocol 2: the files go over HTTP, the result itself in `task:finished`, which frees the
   * capacity and stores the result in one step on the server. The server answers only a
   * refusal; that it was stored shows when the task is no longer this foreman's (a
   * `task:cancel` after the next heartbeat, or `dropped` in a welcome). Until then the result
   * stays in the spool; if the connection is lost first, it goes again over HTTP.
   */
  private async push(local: LocalTask): Promise<void> {
    const { runtime } = this;
    if (runtime.server.uploadResult === undefined) return this.upload(local);
    let result;
    try {
      result = await runtime.server.uploadResult(local.key, local.workDir.resultDir, {
        signal: local.controller.signal,
      });
    } catch {
      // The HTTP path classifies the failure (and retries it) the same way.
      return this.upload(local);
    }
    if (runtime.tasks.get(local.key) !== local || local.controller.signal.aborted) return;
    const isSent = runtime.send({
      type: 'task:finished',
      key: local.key,
      attempt: local.attempt,
      result,
    });
    if (!isSent) return this.upload(local);
    local.confirming();
  }

  /** The server no longer gives this confirming task to this foreman: its result was taken. */
  async confirmed(local: LocalTask, why: string): Promise<void> {
    await removeWorkDir(local.workDir.root, this.runtime.logger);
    this.runtime.logger.info('result stored', {
      task: local.key,
      attempt: local.attempt,
      via: 'task:finished',
      confirmedBy: why,
    });
    forget(this.runtime, local);
  }

  /** The server refused a result sent in `task:finished` (an `error` naming the task). */
  async refused(local: LocalTask, code: string, message: string): Promise<void> {
    const { runtime } = this;
    const logger = runtime.logger.child({ task: local.key, attempt: local.attempt });
    if (
      code === 'KOLEJKA_CONFLICT' ||
      code === 'KOLEJKA_NOT_FOUND' ||
      code === 'KOLEJKA_FORBIDDEN'
    ) {
      logger.warn('the server refused the result for this attempt; dropped', { error: message });
      await removeWorkDir(local.workDir.root, logger);
      forget(runtime, local);
      return;
    }
    if (code === 'KOLEJKA_VALIDATION' || code === 'KOLEJKA_TOO_LARGE') {
      await removeWorkDir(local.workDir.root, logger);
      reportFailure(runtime, local, `the server refused the result: ${message}`);
      return;
    }
    // The server could not store it now: the HTTP path retries with backoff.
    local.spooled();
    this.schedule(local);
  }

  /** Try a spooled result now (after a welcome kept it, or at start). */
  retryNow(local: LocalTask): void {
    if (local.phase === 'confirming') local.spooled();
    if (local.phase !== 'spooled') return;
    clearTimeout(local.retryTimer);
    local.retryTimer = undefined;
    void this.upload(local);
  }

  private schedule(local: LocalTask): void {
    if (this.runtime.tasks.get(local.key) !== local) return;
    const delayMs = backoffDelayMs(RETRY_BACKOFF, local.uploadRound++);
    clearTimeout(local.retryTimer);
    local.retryTimer = setTimeout(() => {
      local.retryTimer = undefined;
      void this.upload(local);
    }, delayMs);
  }

  private upload(local: LocalTask): Promise<void> {
    local.uploading ??= this.uploadOnce(local).finally(() => {
      local.uploading = undefined;
    });
    return local.uploading;
  }

  private async uploadOnce(local: LocalTask): Promise<void> {
    const { runtime } = this;
    const logger = runtime.logger.child({ task: local.key, attempt: local.attempt });
    if (runtime.tasks.get(local.key) !== local || local.controller.signal.aborted) return;
    local.uploadingResult();
    try {
      await runtime.server.putResult(local.key, local.workDir.resultDir, {
        attempt: local.attempt,
        signal: local.controller.signal,
      });
    } catch (error) {
      if (local.controller.signal.aborted) {
        // Stopping: the spool entry stays on disk for the next start; dropped: it goes.
        if (local.stopCause !== 'stopping') await removeWorkDir(local.workDir.root, logger);
        forget(runtime, local);
        return;
      }
      const failure = classifyUploadError(error);
      if (failure.kind === 'retry') {
        local.spooled();
        logger.warn('result upload failed; kept in the spool and retried', {
          error: failure.reason,
          round: local.uploadRound,
        });
        this.schedule(local);
        return;
      }
      if (failure.kind === 'drop') {
        logger.warn('the server refused the result for this attempt; dropped', {
          error: failure.reason,
        });
        await removeWorkDir(local.workDir.root, logger);
        forget(runtime, local);
        return;
      }
      await removeWorkDir(local.workDir.root, logger);
      reportFailure(runtime, local, `the server refused the result: ${failure.reason}`);
      return;
    }
    runtime.send({ type: 'task:finished', key: local.key, attempt: local.attempt });
    await removeWorkDir(local.workDir.root, logger);
    logger.info('result stored', { via: 'http', rounds: local.uploadRound });
    forget(runtime, local);
  }
}
