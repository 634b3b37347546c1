import { pointerAppend, validationError, type ValidationIssue } from '@kolejka/spec';
import type { Principal } from '../accounts/principal.js';
import { newUuidHex } from '../accounts/tokens.js';
import { withIssuesUnder } from '../http/issues.js';
import {
  SCHEDULE_OVERLAP_POLICIES,
  type ScheduleChanges,
  type ScheduleOverlap,
  type ScheduleRecord,
} from '../store/store.js';
import { MAX_PRIORITY } from '../tasks/task-routes.js';
import { checkSubmittedTask, type SubmitPorts } from '../tasks/task-submission.js';
import { cronIssues } from './cron-ticks.js';

/* The bodies of POST and PATCH /api/v1/schedules, checked into records. */

const MAX_NAME_LENGTH = 200;

function priorityIssue(value: unknown): ValidationIssue | undefined {
  if (value === undefined || value === null) return undefined;
  if (Number.isInteger(value) && Math.abs(value as number) <= MAX_PRIORITY) return undefined;
  return {
    path: '/priority',
    message: `must be a whole number from -${MAX_PRIORITY} to ${MAX_PRIORITY}`,
  };
}

/**
 * A new schedule from `{cron, timezone?, task, priority?, overlap?, name?}`: every problem
 * of the fields at once, then the task checked as a submission would be (its issues under
 * `/task`), so a schedule never stores a task that its firings could not submit.
 */
export async function newScheduleFromRequest(
  ports: SubmitPorts,
  principal: Principal,
  body: Record<string, unknown>,
): Promise<ScheduleRecord> {
  const timezone = body.timezone ?? 'UTC';
  const issues: ValidationIssue[] = [...cronIssues(body.cron, timezone)];
  const priority = priorityIssue(body.priority);
  if (priority !== undefined) issues.push(priority);
  const overlap = body.overlap ?? 'skip';
  if (!(SCHEDULE_OVERLAP_POLICIES as readonly unknown[]).includes(overlap))
    issues.push({
      path: '/overlap',
      message: `must be ${SCHEDULE_OVERLAP_POLICIES.map((p) => JSON.stringify(p)).join(' or ')}`,
    });
  const name = body.name ?? body.label;
  if (name !== undefined && (typeof name !== 'string' || name.length > MAX_NAME_LENGTH))
    issues.push({
      path: body.name === undefined ? '/label' : '/name',
      message: `must be text of at most ${MAX_NAME_LENGTH} characters`,
    });
  if (body.task === undefined)
    issues.push({ path: '/task', message: 'is missing: send the kolejka_task.json to submit' });
  if (issues.length > 0) throw validationError('schedule request', issues);

  const spec = await withIssuesUnder('/task', 'schedule request', () =>
    checkSubmittedTask(ports, principal, body.task, undefined),
  );
  const now = ports.clock();
  return {
    id: newUuidHex(),
    owner: principal.username,
    ...(typeof name === 'string' && name !== '' ? { name } : {}),
    cron: (body.cron as string).trim(),
    timezone: timezone as string,
    spec,
    priority: (body.priority as number | undefined) ?? 0,
    overlap: overlap as ScheduleOverlap,
    isPaused: body.paused === true,
    firedCount: 0,
    skippedCount: 0,
    createdAt: now,
    updatedAt: now,
  };
}

/** The changes of `{paused?, priority?}`. */
export function scheduleChangesFromRequest(body: Record<string, unknown>): ScheduleChanges {
  const issues: ValidationIssue[] = [];
  const priority = priorityIssue(body.priority);
  if (priority !== undefined) issues.push(priority);
  if (body.paused !== undefined && typeof body.paused !== 'boolean')
    issues.push({ path: '/paused', message: 'must be true or false' });
  for (const key of Object.keys(body))
    if (key !== 'paused' && key !== 'priority')
      issues.push({
        path: pointerAppend('', key),
        message:
          'cannot be changed: a schedule changes only paused and priority (remove it and add another)',
      });
  if (body.paused === undefined && body.priority === undefined && issues.length === 0)
    issues.push({
      path: '',
      message: 'changes nothing: send {"paused": true|false} or {"priority": N}',
    });
  if (issues.length > 0) throw validationError('schedule change', issues);
  return {
    ...(typeof body.paused === 'boolean' ? { isPaused: body.paused } : {}),
    ...(typeof body.priority === 'number' ? { priority: body.priority } : {}),
  };
}
