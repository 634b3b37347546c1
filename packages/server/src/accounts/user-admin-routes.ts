import type { Router } from 'express';
import { KolejkaError, type Logger } from '@kolejka/spec';
import { expectObject, readJson } from '../http/body.js';
import { sendJson } from '../http/errors.js';
import type { RouteModule } from '../http/route-module.js';
import type { ServerSettings } from '../server-settings.js';
import type { Store } from '../store/store.js';
import { hashPassword } from './passwords.js';
import { isAdmin, requirePrincipal, type Principal } from './principal.js';
import { tokenView } from './token-routes.js';
import { issueToken } from './issue-token.js';
import { USER_ADMIN_PATHS } from './user-admin-openapi.js';
import { parseNewUser, parseTokenLabel } from './user-account-request.js';
import { userView } from './user-view.js';

export interface UserAdminPorts {
  store: Store;
  clock: () => Date;
  logger: Logger;
  settings: Pick<ServerSettings, 'maxJsonBytes'>;
}

function requireAdmin(principal: Principal, action: string): void {
  if (!isAdmin(principal)) throw new KolejkaError('KOLEJKA_FORBIDDEN', `Only admins ${action}`);
}

function noUser(name: string): KolejkaError {
  return new KolejkaError('KOLEJKA_NOT_FOUND', `No user ${JSON.stringify(name)}`);
}

/**
 * Admins create and remove users and give token-only users (foremen, CI) their tokens,
 * from the dashboard as from `kolejka-server user`. Listing, reading and changing users
 * (roles, password, weight, limits) are in `queue-control/user-policy-routes.ts`.
 */
export function userAdminRoutes(ports: UserAdminPorts): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: USER_ADMIN_PATHS };
}

function register(router: Router, ports: UserAdminPorts): void {
  router.post('/users', async (req, res) => {
    const principal = requirePrincipal(res);
    requireAdmin(principal, 'create users');
    const request = parseNewUser(
      expectObject(await readJson(req, ports.settings.maxJsonBytes, 'new user'), 'new user'),
    );
    // Checked first so a taken name costs no scrypt hash; the store still refuses a race.
    if ((await ports.store.getUser(request.username)) !== undefined)
      throw new KolejkaError('KOLEJKA_CONFLICT', `User ${request.username} exists already`);
    const passwordHash =
      request.password === undefined ? undefined : await hashPassword(request.password);
    await ports.store.createUser({
      username: request.username,
      roles: request.roles,
      createdAt: ports.clock(),
      ...(passwordHash === undefined ? {} : { passwordHash }),
    });
    ports.logger.info('user created', {
      user: request.username,
      roles: request.roles,
      by: principal.username,
    });
    const user = await ports.store.getUser(request.username);
    if (user === undefined) throw noUser(request.username);
    res.setHeader('Location', `/api/v1/users/${encodeURIComponent(user.username)}`);
    sendJson(res, 201, userView(user));
  });

  router.delete('/users/:name', async (req, res) => {
    const principal = requirePrincipal(res);
    requireAdmin(principal, 'remove users');
    const name = req.params.name;
    if (name === principal.username)
      throw new KolejkaError(
        'KOLEJKA_CONFLICT',
        'Admins cannot remove themselves (another admin can), so that an admin is always left',
      );
    if (!(await ports.store.removeUser(name))) throw noUser(name);
    ports.logger.info('user removed', { user: name, by: principal.username });
    res.status(204).end();
  });

  router.post('/users/:name/tokens', async (req, res) => {
    const principal = requirePrincipal(res);
    requireAdmin(principal, "create other users' tokens");
    // The body is optional (no Content-Type: no label), as for a queue pause.
    const label =
      req.headers['content-type'] === undefined
        ? undefined
        : parseTokenLabel(
            expectObject(
              await readJson(req, ports.settings.maxJsonBytes, 'token request'),
              'token request',
            ),
          );
    const user = await ports.store.getUser(req.params.name);
    if (user === undefined) throw noUser(req.params.name);
    const { token, secret } = await issueToken(ports.store, user.username, ports.clock(), label);
    ports.logger.info('token created', {
      username: user.username,
      tokenId: token.id,
      by: principal.username,
    });
    sendJson(res, 201, { ...tokenView(token), token: secret });
  });
}
