import type { ForemanMessage, Logger, ResultSpecJson, TaskAttempt } from '@kolejka/spec';
import type { Worker } from '@kolejka/worker';
import type { BlobCache } from './blob-cache.js';
import type { CapacityLedger } from '../capacity-ledger.js';
import type { ImageBudget } from '../docker/image-budget.js';
import type { ResolvedForemanOptions } from '../options.js';
import type { WorkDir } from './work-dirs.js';

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

/**
 * Where a task is on this foreman:
 * - `preparing`: accepted; inputs, image and jail are being made;
 * - `running`: its container runs;
 * - `uploading`: finished; its result goes to the server;
 * - `spooled`: the upload failed for now; retried (also after a restart) until the server
 *   takes it or refuses it for good;
 * - `confirming`: the result went in `task:finished` (protocol 2); kept in the spool until the
 *   server shows it stored (the task is no longer this foreman's) or refuses it;
 * - `failing`: a `task:failed` waits for a connection.
 */
export type TaskPhase =
  'preparing' | 'running' | 'uploading' | 'spooled' | 'confirming' | 'failing';

/** Why a run was aborted by the foreman. */
export type StopCause = 'cancelled' | 'dropped' | 'superseded' | 'deadline' | 'stopping';

export interface LocalTask extends TaskAttempt {
  /** `<key>.<attempt>`: the ledger's and the work dir's name for this attempt. */
  runId: string;
  phase: TaskPhase;
  controller: AbortController;
  stopCause?: StopCause;
  /** The container started and `task:started` was sent. */
  isStarted: boolean;
  workDir: WorkDir;
  /** The reason of a pending `task:failed`. */
  failure?: string;
  uploadRound: number;
  retryTimer?: NodeJS.Timeout;
  uploading?: Promise<void>;
  /** The whole run, settled once the worker and its cleanup are done. */
  run?: Promise<void>;
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
  local.phase = 'failing';
  local.failure = trimmed;
  runtime.logger.warn('task failed', { task: local.key, attempt: local.attempt, reason: trimmed });
  if (
    runtime.send({ type: 'task:failed', key: local.key, attempt: local.attempt, reason: trimmed })
  )
    forget(runtime, local);
  else runtime.changed();
}
