import type { Router } from 'express';
import { KolejkaError, validationError, type ValidationIssue } from '@kolejka/spec';
import { isAdmin, requirePrincipal, type Principal } from '../accounts/principal.js';
import { expectObject, readJson } from '../http/body.js';
import { sendJson } from '../http/errors.js';
import type { UserQueuePolicyChanges, UserRecord } from '../store/store.js';
import type { QueueControlPorts } from './queue-control-ports.js';

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

/** `{"weight": .., "maxRunning": .., "maxQueued": ..}`; null removes a limit (or resets the weight to 1). */
export function parseUserPolicy(body: Record<string, unknown>): UserQueuePolicyChanges {
  const issues: ValidationIssue[] = [];
  const changes: UserQueuePolicyChanges = {};
  for (const name of Object.keys(body))
    if (name !== 'weight' && name !== 'maxRunning' && name !== 'maxQueued')
      issues.push({
        path: `/${name}`,
        message: 'is not a user setting (weight, maxRunning, maxQueued)',
      });
  const weight = body.weight;
  if (weight === null) changes.weight = null;
  else if (weight !== undefined) {
    if (typeof weight !== 'number' || !(weight > 0) || weight > 1_000_000)
      issues.push({
        path: '/weight',
        message: 'must be a number above 0 (at most 1000000), or null for 1',
      });
    else changes.weight = weight;
  }
  for (const name of ['maxRunning', 'maxQueued'] as const) {
    const value = body[name];
    if (value === null) changes[name] = null;
    else if (value !== undefined) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
        issues.push({
          path: `/${name}`,
          message: 'must be a whole number >= 0, or null for no limit',
        });
      else changes[name] = value;
    }
  }
  if (issues.length > 0) throw validationError('user change', issues);
  return changes;
}

function requireAdmin(principal: Principal, action: string): void {
  if (!isAdmin(principal)) throw new KolejkaError('KOLEJKA_FORBIDDEN', `Only admins ${action}`);
}

/** Admin routes over users: list them, set a user's weight and limits. */
export function registerUserPolicyRoutes(router: Router, ports: QueueControlPorts): void {
  router.get('/users', async (_req, res) => {
    requireAdmin(requirePrincipal(res), 'list users');
    sendJson(res, 200, { items: (await ports.store.listUsers()).map(userView) });
  });

  router.get('/users/:name', async (req, res) => {
    requireAdmin(requirePrincipal(res), 'read users');
    const user = await ports.store.getUser(req.params.name);
    if (user === undefined)
      throw new KolejkaError('KOLEJKA_NOT_FOUND', `No user ${JSON.stringify(req.params.name)}`);
    sendJson(res, 200, userView(user));
  });

  router.patch('/users/:name', async (req, res) => {
    const principal = requirePrincipal(res);
    requireAdmin(principal, "change users' weights and limits");
    const changes = parseUserPolicy(
      expectObject(await readJson(req, ports.settings.maxJsonBytes, 'user change'), 'user change'),
    );
    if (!(await ports.store.setUserQueuePolicy(req.params.name, changes)))
      throw new KolejkaError('KOLEJKA_NOT_FOUND', `No user ${JSON.stringify(req.params.name)}`);
    await ports.scheduler.refreshUserPolicies();
    ports.logger.info('user queue policy changed', {
      user: req.params.name,
      by: principal.username,
    });
    const user = await ports.store.getUser(req.params.name);
    if (user === undefined)
      throw new KolejkaError('KOLEJKA_NOT_FOUND', `No user ${JSON.stringify(req.params.name)}`);
    sendJson(res, 200, userView(user));
  });
}
