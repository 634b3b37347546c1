import { rm } from 'node:fs/promises';
import { KolejkaError, isKolejkaError, type ResultSpec, type TaskState } from '@kolejka/spec';
import type { ClientContext } from './client-context.js';
import { waitForTask, type TaskOutcome, type WaitContext } from './events/wait-for-task.js';
import { withDeadline } from './http/abort.js';
import { formatDuration } from './http/duration.js';
import { emit, type ProgressListener } from './progress.js';
import type { RemoteTask } from './resources.js';
import { getResult } from './tasks/result-operations.js';
import { putTask, type PutTaskOptions } from './tasks/task-operations.js';

export interface ExecuteOptions extends Omit<PutTaskOptions, 'baseDir'> {
  /** Give up (KOLEJKA_TIMEOUT) when the whole run — upload, wait, download — takes longer. */
  timeoutMs?: number;
  /** Delete the task dir once the result dir is written (the original's `--consume`). */
  consume?: boolean;
  /** Called as soon as the server has accepted the task (with its key). */
  onSubmitted?: (task: RemoteTask) => void;
  onProgress?: ProgressListener;
}

export interface ExecuteResult {
  /** The task as submitted. */
  task: RemoteTask;
  /** How it ended: `finished`, or `failed`/`cancelled` (then there is no result). */
  outcome: TaskOutcome;
  /** The result written to the result dir, when the task finished. */
  result?: ResultSpec;
  /** Absolute path of the result dir, when written. */
  resultDir?: string;
}

/**
 * Runs a task dir on the server and writes its result dir: put (with dedup), wait (pushed
 * by the events channel), get. The task's own exit code is in `result.result`; a task the
 * server could not run ends `failed` without a result.
 */
export async function execute(
  ctx: ClientContext,
  wait: WaitContext,
  taskDir: string,
  resultDir: string,
  options: ExecuteOptions = {},
): Promise<ExecuteResult> {
  const deadline = withDeadline(options.signal, options.timeoutMs, `Executing ${taskDir}`);
  let key: string | undefined;
  let state: TaskState | undefined;
  const onProgress: ProgressListener = (event) => {
    if (event.type === 'state') state = event.state;
    emit(options.onProgress, event);
  };
  try {
    const { task } = await putTask(ctx, taskDir, {
      ...options,
      signal: deadline.signal,
      onProgress,
    });
    key = task.key;
    state = task.state;
    options.onSubmitted?.(task);
    const outcome = await waitForTask(wait, task.key, {
      signal: deadline.signal,
      pollIntervalMs: ctx.options.pollIntervalMs,
      onProgress,
    });
    if (outcome.state !== 'finished') return { task, outcome };
    const written = await getResult(ctx, task.key, resultDir, {
      signal: deadline.signal,
      onProgress,
    });
    if (options.consume === true) await rm(taskDir, { recursive: true, force: true });
    return { task, outcome, result: written.result, resultDir: written.dir };
  } catch (error) {
    const reason: unknown = deadline.signal.reason;
    if (deadline.signal.aborted && isKolejkaError(reason, 'KOLEJKA_TIMEOUT')) {
      const where =
        key === undefined
          ? 'before the task was submitted'
          : `(task ${key} is ${state ?? 'unknown'} on the server)`;
      throw new KolejkaError(
        'KOLEJKA_TIMEOUT',
        `${taskDir} did not finish within ${formatDuration(options.timeoutMs ?? 0)} ${where}`,
        {
          // The deadline's own reason says the same thing less well: not a cause worth a sentence.
          ...(error === reason ? {} : { cause: error }),
          details: { key, state, timeoutMs: options.timeoutMs },
        },
      );
    }
    throw error;
  } finally {
    deadline.dispose();
  }
}
