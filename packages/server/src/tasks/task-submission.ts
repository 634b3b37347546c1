import {
  assertRunnable,
  dumpTask,
  isKolejkaError,
  parseTask,
  pointerAppend,
  validationError,
  type FilesSpec,
  type Logger,
  type TaskSpecJson,
  type ValidationIssue,
} from '@kolejka/spec';
import type { Principal } from '../accounts/principal.js';
import { newUuidHex } from '../accounts/tokens.js';
import { resolveFileReference } from '../blobs/blob-access.js';
import type { ServerSettings } from '../server-settings.js';
import { assertBelowQueuedLimit } from '../queue-control/queued-limit.js';
import type { NewTaskLinks, Store, TaskRecord } from '../store/store.js';
import { runnableLimitIssues } from './runnable-limits.js';
import { applyServerLimits, taskPolicyIssues, type TaskPolicySettings } from './task-policy.js';

/** What a submission checks against and writes to. */
export interface SubmitPorts {
  store: Store;
  clock: () => Date;
  logger: Logger;
  settings: TaskPolicySettings & Pick<ServerSettings, 'maxAttempts'>;
}

export interface SubmitOptions {
  /** Higher runs first. Default 0. */
  priority?: number;
  /** Dependencies (issue 12): the task is stored `waiting` and the store releases it. */
  links?: NewTaskLinks;
}

/**
 * Validates a task as a caller submitted it and stores it queued, as the original does:
 * a fresh uuid4-hex key replaces any `id`, every file must name a blob the caller may read
 * (a hash, or one of its reference keys) and is stored by hash with `path` dropped, and the
 * server's default and maximum limits apply. Every problem is reported at once.
 */
export async function submitTask(
  ports: SubmitPorts,
  principal: Principal,
  json: unknown,
  options: SubmitOptions = {},
): Promise<TaskRecord> {
  const key = newUuidHex();
  const spec = await checkSubmittedTask(ports, principal, json, key);
  // Every way in (a task, a continuation, the original API) counts against the owner's
  // maxQueued (429 when over); a schedule's firing is the owner's standing order.
  await assertBelowQueuedLimit(ports.store, principal.username);
  const now = ports.clock();
  const record: TaskRecord = {
    key,
    owner: principal.username,
    spec,
    state: options.links === undefined ? 'queued' : 'waiting',
    ...(options.links === undefined ? {} : { links: options.links }),
    priority: options.priority ?? 0,
    attempt: 0,
    lostCount: 0,
    maxAttempts: ports.settings.maxAttempts,
    createdAt: now,
    updatedAt: now,
  };
  await ports.store.createTask(record);
  ports.logger.info('task submitted', { task: key, owner: principal.username });
  return record;
}

/**
 * The checks of a submission, without storing anything: the canonical spec a task stores
 * (files by hash, server limits applied, `id` set to `id` or dropped when it is undefined),
 * or a KOLEJKA_VALIDATION error listing every problem. Schedules check the task they will
 * fire with it.
 */
export async function checkSubmittedTask(
  ports: Omit<SubmitPorts, 'clock'>,
  principal: Principal,
  json: unknown,
  id: string | undefined,
): Promise<TaskSpecJson> {
  const task = parseTask(json);
  const issues: ValidationIssue[] = [];
  try {
    assertRunnable(task);
  } catch (error) {
    if (!isKolejkaError(error, 'KOLEJKA_VALIDATION')) throw error;
    issues.push(...error.issues);
  }
  issues.push(...taskPolicyIssues(task, ports.settings));
  issues.push(...runnableLimitIssues(task.limits));

  const files: FilesSpec = {};
  await Promise.all(
    Object.entries(task.files).map(async ([name, file]) => {
      const path = pointerAppend(pointerAppend('/files', name), 'reference');
      if (file.reference === undefined || file.reference === '') {
        issues.push({
          path,
          message: `is missing: file ${JSON.stringify(name)} does not have a reference; upload it and give its hash`,
        });
        return;
      }
      const hash = await resolveFileReference(ports, principal, file.reference);
      if (hash === undefined) {
        issues.push({
          path,
          message: `${JSON.stringify(file.reference)} is unknown: name the SHA-256 of a blob you uploaded (or one of your reference keys)`,
        });
        return;
      }
      files[name] = { reference: hash };
    }),
  );
  if (issues.length > 0) throw validationError('task', sortIssues(issues));

  const { id: _submittedId, ...rest } = task;
  return dumpTask({
    ...rest,
    ...(id === undefined ? {} : { id }),
    limits: applyServerLimits(task.limits, ports.settings),
    files: Object.fromEntries(Object.keys(task.files).map((name) => [name, files[name] ?? {}])),
  });
}

/** Issues in document order, whatever order the file checks finished in. */
function sortIssues(issues: ValidationIssue[]): ValidationIssue[] {
  return [...issues].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
