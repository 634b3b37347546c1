import type { ForemanMessage, Logger, ResultSpecJson } from '@kolejka/spec';
import type { Worker } from '@kolejka/worker';
import type { BlobCache } from './blob-cache.js';
import type { CapacityLedger } from '../capacity-ledger.js';
import type { ImageBudget } from '../docker/image-budget.js';
import type { ResolvedForemanOptions } from '../options.js';
import type { TempDisk } from '../temp-disk.js';
import type { LocalTask } from './local-task.js';

/** The server calls a task run makes over HTTP (a KolejkaClient fits). */
export interface ServerFiles {
  getBlob(hash: string, path: string, options?: { signal?: AbortSignal }): Promise<unknown>;
  putResult(
    key: string,
    dir: string,
    options: { attempt: number; signal?: AbortSignal },
  ): Promise<unknown>;
  /** Uploads the result's files and returns the result to send in `task:finished` (protocol 2). */
  uploadResult?(
    key: string,
    dir: string,
    options?: { signal?: AbortSignal },
  ): Promise<ResultSpecJson>;
}

/** What the task runner and the uploads share with the foreman. */
export interface ForemanRuntime {
  options: ResolvedForemanOptions;
  logger: Logger;
  ledger: CapacityLedger;
  worker: Worker;
  cache: BlobCache;
  images: ImageBudget | undefined;
  server: ServerFiles;
  tasks: Map<string, LocalTask>;
  /** The `--temp` disk: full after an ENOSPC, until it has room again. */
  disk: TempDisk;
  /** Sends on the push channel; false when there is no connection (nothing is queued). */
  send(message: ForemanMessage): boolean;
  /** Whether the current connection's protocol lets `task:finished` carry the result. */
  canPushResults(): boolean;
  /** A task changed phase or went away (the drain watches this). */
  changed(): void;
}

/** Forgets a task once nothing more is owed for it. */
export function forget(runtime: ForemanRuntime, local: LocalTask): void {
  clearTimeout(local.retryTimer);
  if (runtime.tasks.get(local.key) === local) runtime.tasks.delete(local.key);
  runtime.changed();
}

/** Reports a task failed, now or (when disconnected) after the next welcome keeps it. */
export function reportFailure(runtime: ForemanRuntime, local: LocalTask, reason: string): void {
  const trimmed = reason.length > 4000 ? `${reason.slice(0, 4000)}…` : reason;
  local.failing(trimmed);
  runtime.logger.warn('task failed', { task: local.key, attempt: local.attempt, reason: trimmed });
  if (
    runtime.send({ type: 'task:failed', key: local.key, attempt: local.attempt, reason: trimmed })
  )
    forget(runtime, local);
}
