import type { TaskAttempt } from '@kolejka/spec';
import type { WorkDir } from './work-dirs.js';

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

/**
 * One attempt of a task on this foreman. Its phase changes only through the methods below,
 * each of which tells `onChange` (the drain watches phases).
 */
export class LocalTask implements TaskAttempt {
  /** `<key>.<attempt>`: the ledger's and the work dir's name for this attempt. */
  readonly runId: string;
  readonly controller = new AbortController();
  stopCause: StopCause | undefined;
  /** The reason of a pending `task:failed`. */
  failure: string | undefined;
  uploadRound = 0;
  retryTimer: NodeJS.Timeout | undefined;
  uploading: Promise<void> | undefined;
  /** The whole run, settled once the worker and its cleanup are done. */
  run: Promise<void> | undefined;
  private current: TaskPhase;
  private hasStarted = false;

  constructor(
    readonly key: string,
    readonly attempt: number,
    readonly workDir: WorkDir,
    private readonly onChange: () => void,
    /** `spooled` for a result an earlier run left. */
    phase: 'preparing' | 'spooled' = 'preparing',
  ) {
    this.runId = `${key}.${attempt}`;
    this.current = phase;
  }

  get phase(): TaskPhase {
    return this.current;
  }

  /** The container started and `task:started` was sent. */
  get isStarted(): boolean {
    return this.hasStarted;
  }

  /** Still running or uploading (what a drain waits for). */
  get isBusy(): boolean {
    return (
      this.current === 'preparing' || this.current === 'running' || this.current === 'uploading'
    );
  }

  private moveTo(phase: TaskPhase): void {
    this.current = phase;
    this.onChange();
  }

  /** Inputs and image are ready: the worker runs it. */
  running(): void {
    this.moveTo('running');
  }

  started(): void {
    this.hasStarted = true;
  }

  /** Its result goes to the server. */
  uploadingResult(): void {
    this.moveTo('uploading');
  }

  /** The upload failed for now, or a pushed result must go again over HTTP. */
  spooled(): void {
    this.moveTo('spooled');
  }

  /** The result went in `task:finished`; the server has yet to show it stored. */
  confirming(): void {
    this.moveTo('confirming');
  }

  /** A `task:failed` is owed (sent now, or after the next welcome). */
  failing(reason: string): void {
    this.failure = reason;
    this.moveTo('failing');
  }

  /** Aborts whatever it is doing (the first cause is kept). */
  stop(cause: StopCause): void {
    this.stopCause ??= cause;
    this.controller.abort();
    clearTimeout(this.retryTimer);
  }
}
