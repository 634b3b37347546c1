import type { Response } from 'express';
import { KolejkaError } from '@kolejka/spec';
import type { Role } from '../store/store.js';

/** Who sent a request, once authenticated. */
export interface Principal {
  username: string;
  roles: readonly Role[];
  /** How the caller proved it: an API token or an original-style session cookie. */
  via: 'token' | 'session';
  /** The token's public id (when `via` is `token`). */
  tokenId?: string;
}

/**
 * What each role may do (reference §7.3 as roles). Ownership comes on top: everybody may
 * read and delete their own tasks, results and blobs.
 */
export const PERMISSIONS = [
  /** Submit tasks (the original's `task.add_task`). */
  'task:submit',
  /** Claim tasks and post their results (`task.process_task`). */
  'task:process',
  /** Read every task and result (`view_task`, `view_result`). */
  'task:read-any',
  /** Cancel and delete every task and result (`delete_task`, `delete_result`). */
  'task:delete-any',
  /** Upload blobs (`blob.add_reference`). */
  'blob:upload',
  /** Read every blob (processors download task inputs; inspectors audit). */
  'blob:read-any',
  /** Delete every blob and reference (`delete_blob`, `delete_reference`). */
  'blob:delete-any',
  /** List foremen, drain and undrain them. */
  'foreman:manage',
  /** Queue control (issue 12): pause and resume the queue, set any task's priority and place. */
  'queue:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const GRANTS: Readonly<Record<Role, readonly Permission[]>> = {
  client: ['task:submit', 'blob:upload'],
  processor: ['task:process', 'blob:upload', 'blob:read-any'],
  inspector: ['task:read-any', 'blob:read-any'],
  manager: [
    'task:read-any',
    'task:delete-any',
    'blob:read-any',
    'blob:delete-any',
    'foreman:manage',
    'queue:manage',
  ],
  admin: PERMISSIONS,
};

export function hasPermission(principal: Principal | undefined, permission: Permission): boolean {
  return principal?.roles.some((role) => GRANTS[role].includes(permission)) ?? false;
}

export function isAdmin(principal: Principal | undefined): boolean {
  return principal?.roles.includes('admin') ?? false;
}

const PRINCIPAL = Symbol('kolejka.principal');

export function setPrincipal(res: Response, principal: Principal): void {
  (res.locals as Record<symbol, Principal>)[PRINCIPAL] = principal;
}

export function principalOf(res: Response): Principal | undefined {
  return (res.locals as Record<symbol, Principal | undefined>)[PRINCIPAL];
}

/** The authenticated caller, or KOLEJKA_UNAUTHORIZED. */
export function requirePrincipal(res: Response): Principal {
  const principal = principalOf(res);
  if (principal === undefined) {
    throw new KolejkaError(
      'KOLEJKA_UNAUTHORIZED',
      'Authentication required: send "Authorization: Bearer <token>" (kolejka-client login creates one)',
    );
  }
  return principal;
}

/** The authenticated caller holding `permission`, or KOLEJKA_UNAUTHORIZED / KOLEJKA_FORBIDDEN. */
export function requirePermission(
  res: Response,
  permission: Permission,
  action: string,
): Principal {
  const principal = requirePrincipal(res);
  if (!hasPermission(principal, permission)) {
    throw new KolejkaError(
      'KOLEJKA_FORBIDDEN',
      `User ${JSON.stringify(principal.username)} may not ${action} (roles: ${principal.roles.join(', ') || 'none'})`,
      { details: { permission } },
    );
  }
  return principal;
}
