import type { Router } from 'express';
import { KolejkaError, validationError, type ValidationIssue } from '@kolejka/spec';
import { hashPassword } from '../accounts/passwords.js';
import { isAdmin, requirePrincipal, type Principal } from '../accounts/principal.js';
import { parseAccountChanges, type AccountChanges } from '../accounts/user-account-request.js';
import { userView } from '../accounts/user-view.js';
import { expectObject, readJson } from '../http/body.js';
import { sendJson } from '../http/errors.js';
import type { UserQueuePolicyChanges } from '../store/store.js';
import type { QueueControlPorts } from './queue-control-ports.js';

const CHANGE_FIELDS = ['roles', 'password', 'weight', 'maxRunning', 'maxQueued'];

/**
 * `{"weight": .., "maxRunning": .., "maxQueued": ..}`; null removes a limit (or resets the
 * weight to 1). Its issues go to `issues`, beside those of the account fields.
 */
export function parseUserPolicy(
  body: Record<string, unknown>,
  issues: ValidationIssue[],
): UserQueuePolicyChanges {
  const changes: UserQueuePolicyChanges = {};
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
  return changes;
}

/** A whole user change: account fields (roles, password) and queue policy, every issue at once. */
function parseUserChange(body: Record<string, unknown>): {
  account: AccountChanges;
  policy: UserQueuePolicyChanges;
} {
  const issues: ValidationIssue[] = [];
  for (const name of Object.keys(body))
    if (!CHANGE_FIELDS.includes(name))
      issues.push({
        path: `/${name}`,
        message: `is not a user setting (${CHANGE_FIELDS.join(', ')})`,
      });
  const account = parseAccountChanges(body, issues);
  const policy = parseUserPolicy(body, issues);
  if (issues.length > 0) throw validationError('user change', issues);
  return { account, policy };
}

function requireAdmin(principal: Principal, action: string): void {
  if (!isAdmin(principal)) throw new KolejkaError('KOLEJKA_FORBIDDEN', `Only admins ${action}`);
}

/** Admin routes over users: list them, read one, change its roles, password, weight and limits. */
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
    requireAdmin(principal, 'change users');
    const name = req.params.name;
    const { account, policy } = parseUserChange(
      expectObject(await readJson(req, ports.settings.maxJsonBytes, 'user change'), 'user change'),
    );
    const before = await ports.store.getUser(name);
    if (before === undefined) throw noUser(name);
    // An admin locking themselves out would leave the server without one; another admin can.
    if (
      name === principal.username &&
      account.roles !== undefined &&
      before.roles.includes('admin') &&
      !account.roles.includes('admin')
    )
      throw new KolejkaError(
        'KOLEJKA_CONFLICT',
        'Admins cannot take away their own admin role (another admin can), so that an admin is always left',
      );
    if (account.roles !== undefined || account.password !== undefined) {
      const passwordHash =
        account.password === undefined ? undefined : await hashPassword(account.password);
      const isDone = await ports.store.updateUser(name, {
        ...(account.roles === undefined ? {} : { roles: account.roles }),
        ...(passwordHash === undefined ? {} : { passwordHash }),
      });
      if (!isDone) throw noUser(name);
      ports.logger.info('user account changed', {
        user: name,
        roles: account.roles,
        isPasswordChanged: account.password !== undefined,
        by: principal.username,
      });
    }
    if (Object.keys(policy).length > 0) {
      if (!(await ports.store.setUserQueuePolicy(name, policy))) throw noUser(name);
      await ports.scheduler.refreshUserPolicies();
      ports.logger.info('user queue policy changed', { user: name, by: principal.username });
    }
    const user = await ports.store.getUser(name);
    if (user === undefined) throw noUser(name);
    sendJson(res, 200, userView(user));
  });
}

function noUser(name: string): KolejkaError {
  return new KolejkaError('KOLEJKA_NOT_FOUND', `No user ${JSON.stringify(name)}`);
}
