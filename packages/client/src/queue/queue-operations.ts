import type { ClientContext } from '../client-context.js';
import type { RemoteTask } from '../resources.js';

/* Queue control (issue 12): pauses, task priority, users' fair-share weight and limits. */

export interface QueuePause {
  /** Only tasks requiring this tag are held; absent: the whole queue. */
  tag?: string;
  pausedBy: string;
  pausedAt: string;
}

/** `GET /api/v1/queue`. */
export interface QueueStatus {
  /** The whole queue is paused. */
  isPaused: boolean;
  pausedTags: string[];
  pauses: QueuePause[];
}

/** A user as an admin sees it, with its fair-share weight and limits. */
export interface RemoteUser {
  username: string;
  roles: string[];
  hasPassword: boolean;
  createdAt: string;
  weight: number;
  maxRunning: number | null;
  maxQueued: number | null;
}

/** What `setUserPolicy` changes; `null` removes a limit (or resets the weight to 1). */
export interface UserPolicyChanges {
  weight?: number | null;
  maxRunning?: number | null;
  maxQueued?: number | null;
}

export function getQueueStatus(ctx: ClientContext, signal?: AbortSignal): Promise<QueueStatus> {
  return ctx.transport.json<QueueStatus>({
    method: 'GET',
    path: '/api/v1/queue',
    isIdempotent: true,
    signal,
  });
}

/** Pauses (or resumes) the whole queue, or the tasks requiring `tag`. */
export function setQueuePaused(
  ctx: ClientContext,
  isPaused: boolean,
  tag: string | undefined,
  signal?: AbortSignal,
): Promise<QueueStatus> {
  return ctx.transport.json<QueueStatus>({
    method: 'POST',
    path: isPaused ? '/api/v1/queue/pause' : '/api/v1/queue/resume',
    json: tag === undefined ? {} : { tag },
    // Pausing twice is pausing once.
    isIdempotent: true,
    signal,
  });
}

export function setTaskPriority(
  ctx: ClientContext,
  key: string,
  priority: number,
  signal?: AbortSignal,
): Promise<RemoteTask> {
  return ctx.transport.json<RemoteTask>({
    method: 'PATCH',
    path: `/api/v1/tasks/${encodeURIComponent(key)}`,
    json: { priority },
    isIdempotent: true,
    signal,
  });
}

/** Where `moveTask` puts a task among the waiting and queued tasks of its priority. */
export type TaskPlacement = { to: 'front' | 'back' } | { before: string };

export function moveTask(
  ctx: ClientContext,
  key: string,
  placement: TaskPlacement,
  signal?: AbortSignal,
): Promise<RemoteTask> {
  return ctx.transport.json<RemoteTask>({
    method: 'POST',
    path: `/api/v1/tasks/${encodeURIComponent(key)}/move`,
    json: placement,
    // Moving to the same place twice leaves it there.
    isIdempotent: true,
    signal,
  });
}

export async function listUsers(ctx: ClientContext, signal?: AbortSignal): Promise<RemoteUser[]> {
  return (
    await ctx.transport.json<{ items: RemoteUser[] }>({
      method: 'GET',
      path: '/api/v1/users',
      isIdempotent: true,
      signal,
    })
  ).items;
}

export function setUserPolicy(
  ctx: ClientContext,
  username: string,
  changes: UserPolicyChanges,
  signal?: AbortSignal,
): Promise<RemoteUser> {
  return ctx.transport.json<RemoteUser>({
    method: 'PATCH',
    path: `/api/v1/users/${encodeURIComponent(username)}`,
    json: changes,
    isIdempotent: true,
    signal,
  });
}
