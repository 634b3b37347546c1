import { validationError, type ValidationIssue } from '@kolejka/spec';
import { ROLES, type Role } from '../store/store.js';
import { usernameProblem } from './usernames.js';

/** Longest password accepted over HTTP (scrypt would take any; a bound keeps bodies small). */
export const MAX_PASSWORD_LENGTH = 1024;
const MAX_LABEL_LENGTH = 1024;

/** A new user as `POST /api/v1/users` takes it. */
export interface NewUserRequest {
  username: string;
  roles: Role[];
  password?: string;
}

/** Account changes `PATCH /api/v1/users/{name}` takes beside the queue policy. */
export interface AccountChanges {
  roles?: Role[];
  password?: string;
}

/** A non-empty list of known roles, duplicates dropped; issues name each bad item. */
export function parseRoles(value: unknown, issues: ValidationIssue[]): Role[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    issues.push({ path: '/roles', message: `must be a non-empty list of ${ROLES.join(', ')}` });
    return undefined;
  }
  const roles: Role[] = [];
  value.forEach((role: unknown, index) => {
    if (typeof role === 'string' && (ROLES as readonly string[]).includes(role)) {
      if (!roles.includes(role as Role)) roles.push(role as Role);
    } else
      issues.push({
        path: `/roles/${index}`,
        message: `is not a role: use ${ROLES.join(', ')}`,
      });
  });
  return roles;
}

export function parsePassword(value: unknown, issues: ValidationIssue[]): string | undefined {
  if (typeof value !== 'string' || value === '') {
    issues.push({ path: '/password', message: 'must be a non-empty string' });
    return undefined;
  }
  if (value.length > MAX_PASSWORD_LENGTH) {
    issues.push({
      path: '/password',
      message: `is longer than ${MAX_PASSWORD_LENGTH} characters`,
    });
    return undefined;
  }
  return value;
}

/** `{username, roles, password?}`; every problem at once, each at its JSON path. */
export function parseNewUser(body: Record<string, unknown>): NewUserRequest {
  const issues: ValidationIssue[] = [];
  for (const name of Object.keys(body))
    if (!['username', 'roles', 'password'].includes(name))
      issues.push({ path: `/${name}`, message: 'is not a field (username, roles, password)' });
  const { username } = body;
  if (typeof username !== 'string') issues.push({ path: '/username', message: 'must be a string' });
  else {
    const problem = usernameProblem(username);
    if (problem !== undefined) issues.push({ path: '/username', message: problem });
  }
  const roles = parseRoles(body.roles, issues);
  const password = body.password === undefined ? undefined : parsePassword(body.password, issues);
  if (issues.length > 0 || typeof username !== 'string' || roles === undefined)
    throw validationError('new user', issues);
  return { username, roles, ...(password === undefined ? {} : { password }) };
}

/** The account fields of a user change (`roles`, `password`), their issues added to `issues`. */
export function parseAccountChanges(
  body: Record<string, unknown>,
  issues: ValidationIssue[],
): AccountChanges {
  const changes: AccountChanges = {};
  if (body.roles !== undefined) {
    const roles = parseRoles(body.roles, issues);
    if (roles !== undefined) changes.roles = roles;
  }
  if (body.password !== undefined) {
    const password = parsePassword(body.password, issues);
    if (password !== undefined) changes.password = password;
  }
  return changes;
}

/** `{label?}` of a token an admin makes for a user. */
export function parseTokenLabel(body: Record<string, unknown>): string | undefined {
  const issues: ValidationIssue[] = [];
  for (const name of Object.keys(body))
    if (name !== 'label') issues.push({ path: `/${name}`, message: 'is not a field (label)' });
  const { label } = body;
  if (label !== undefined && (typeof label !== 'string' || label === ''))
    issues.push({ path: '/label', message: 'must be a non-empty string' });
  else if (typeof label === 'string' && label.length > MAX_LABEL_LENGTH)
    issues.push({ path: '/label', message: `is longer than ${MAX_LABEL_LENGTH} characters` });
  if (issues.length > 0) throw validationError('token request', issues);
  return label as string | undefined;
}
