import { KolejkaError, parseTime } from '@kolejka/spec';
import { ROLES, type Role, type UserRecord } from '../store/store.js';

/** How long ended tasks are kept, in milliseconds: per user, per role, else the default. */
export interface RetentionPolicy {
  users: Record<string, number>;
  roles: Partial<Record<Role, number>>;
  default?: number;
}

export const NO_RETENTION: RetentionPolicy = { users: {}, roles: {} };

/**
 * `default=90D,client=30D,user:alice=7D` (the time grammar: `D` days, `H` hours, `M`
 * minutes) into a policy; a wrong entry is a KOLEJKA_VALIDATION error naming it.
 */
export function parseRetention(text: string): RetentionPolicy {
  const policy: RetentionPolicy = { users: {}, roles: {} };
  for (const entry of text.split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    const equals = entry.indexOf('=');
    const name = entry.slice(0, equals).trim();
    const fail = (why: string): never => {
      throw new KolejkaError('KOLEJKA_VALIDATION', `retention ${JSON.stringify(entry)}: ${why}`);
    };
    if (equals <= 0) fail('expected NAME=AGE, NAME being default, a role or user:NAME');
    let ageMs = 0;
    try {
      ageMs = parseTime(entry.slice(equals + 1)) * 1000;
    } catch (error) {
      fail((error as Error).message);
    }
    if (!(ageMs > 0)) fail('the age must be positive');
    if (name === 'default') policy.default = ageMs;
    else if (name.startsWith('user:') && name.length > 5) policy.users[name.slice(5)] = ageMs;
    else if ((ROLES as readonly string[]).includes(name)) policy.roles[name as Role] = ageMs;
    else fail(`${JSON.stringify(name)} is not default, a role (${ROLES.join(', ')}) or user:NAME`);
  }
  return policy;
}

/**
 * How long a user's ended tasks are kept: the user's own entry, else the longest of its
 * roles' entries, else the default; undefined: kept for ever.
 */
export function retentionOf(policy: RetentionPolicy, user: UserRecord): number | undefined {
  const own = policy.users[user.username];
  if (own !== undefined) return own;
  const byRole = user.roles
    .map((role) => policy.roles[role])
    .filter((age): age is number => age !== undefined);
  return byRole.length > 0 ? Math.max(...byRole) : policy.default;
}

/** The policy in the configuration's words (for `GET /api/v1/settings` and logs). */
export function describeRetention(policy: RetentionPolicy): string {
  const entries = [
    ...(policy.default === undefined ? [] : [['default', policy.default] as const]),
    ...Object.entries(policy.roles),
    ...Object.entries(policy.users).map(([name, age]) => [`user:${name}`, age] as const),
  ];
  return entries.map(([name, ageMs]) => `${name}=${(ageMs ?? 0) / 1000}s`).join(',');
}
