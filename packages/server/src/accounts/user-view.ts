import type { UserRecord } from '../store/store.js';

/** A user as the admin routes show it: roles, fair-share weight and limits (never the password hash). */
export function userView(user: UserRecord): Record<string, unknown> {
  return {
    username: user.username,
    roles: user.roles,
    hasPassword: user.passwordHash !== undefined,
    createdAt: user.createdAt.toISOString(),
    weight: user.weight ?? 1,
    maxRunning: user.maxRunning ?? null,
    maxQueued: user.maxQueued ?? null,
  };
}
