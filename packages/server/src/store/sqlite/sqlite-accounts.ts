import { KolejkaError } from '@kolejka/spec';
import { TOKEN_USE_RESOLUTION_MS, assertRoles } from '../store-rules.js';
import type { Role, SessionRecord, TokenRecord, UserRecord } from '../store.js';
import { isConstraintError, type SqliteDb } from './sqlite-db.js';
import {
  ms,
  sessionFromRow,
  tokenFromRow,
  userFromRow,
  type SessionRow,
  type TokenRow,
  type UserRow,
} from './sqlite-rows.js';

/* Users, API tokens and cookie sessions. */

export function createUser(db: SqliteDb, user: UserRecord): void {
  assertRoles(user.roles);
  try {
    db.write(() =>
      db.run(
        `INSERT INTO users (username, roles, password_hash, created_at)
         VALUES (@username, @roles, @passwordHash, @createdAt)`,
        {
          username: user.username,
          roles: JSON.stringify(user.roles),
          passwordHash: user.passwordHash ?? null,
          createdAt: ms(user.createdAt),
        },
      ),
    );
  } catch (error) {
    if (isConstraintError(error, 'PRIMARYKEY'))
      throw new KolejkaError('KOLEJKA_CONFLICT', `User ${user.username} exists`, { cause: error });
    throw error;
  }
}

export function getUser(db: SqliteDb, username: string): UserRecord | undefined {
  const row = db.get<UserRow>('SELECT * FROM users WHERE username = @username', { username });
  return row && userFromRow(row);
}

export function listUsers(db: SqliteDb): UserRecord[] {
  return db.all<UserRow>('SELECT * FROM users ORDER BY username').map(userFromRow);
}

export function updateUser(
  db: SqliteDb,
  username: string,
  changes: { roles?: Role[]; passwordHash?: string | null },
): boolean {
  if (changes.roles !== undefined) assertRoles(changes.roles);
  const result = db.write(() =>
    db.run(
      `UPDATE users SET
         roles = coalesce(@roles, roles),
         password_hash = CASE WHEN @setPassword THEN @passwordHash ELSE password_hash END
       WHERE username = @username`,
      {
        username,
        roles: changes.roles === undefined ? null : JSON.stringify(changes.roles),
        setPassword: changes.passwordHash === undefined ? 0 : 1,
        passwordHash: changes.passwordHash ?? null,
      },
    ),
  );
  return result.changes > 0;
}

export function removeUser(db: SqliteDb, username: string): boolean {
  // Tokens and sessions go with it (ON DELETE CASCADE); tasks and references stay.
  return (
    db.write(() => db.run('DELETE FROM users WHERE username = @username', { username })).changes > 0
  );
}

function assertUserExists(db: SqliteDb, username: string, what: string): void {
  if (db.get('SELECT 1 FROM users WHERE username = @username', { username }) === undefined)
    throw new KolejkaError(
      'KOLEJKA_NOT_FOUND',
      `Cannot create a ${what} for unknown user ${username}`,
    );
}

export function createToken(db: SqliteDb, token: TokenRecord): void {
  db.write(() => {
    assertUserExists(db, token.username, 'token');
    try {
      db.run(
        `INSERT INTO tokens (id, username, token_hash, label, created_at, last_used_at)
         VALUES (@id, @username, @tokenHash, @label, @createdAt, @lastUsedAt)`,
        {
          id: token.id,
          username: token.username,
          tokenHash: token.tokenHash,
          label: token.label ?? null,
          createdAt: ms(token.createdAt),
          lastUsedAt: ms(token.lastUsedAt),
        },
      );
    } catch (error) {
      if (isConstraintError(error))
        throw new KolejkaError(
          'KOLEJKA_CONFLICT',
          `A token with id ${token.id} or this secret exists`,
          {
            cause: error,
          },
        );
      throw error;
    }
  });
}

export function useToken(db: SqliteDb, tokenHash: string, now: Date): TokenRecord | undefined {
  const current = db.get<TokenRow>('SELECT * FROM tokens WHERE token_hash = @tokenHash', {
    tokenHash,
  });
  if (current === undefined) return undefined;
  const usedAt = current.last_used_at;
  if (usedAt !== null && Math.abs(now.getTime() - usedAt) < TOKEN_USE_RESOLUTION_MS)
    return tokenFromRow(current);
  const row = db.write(() =>
    db.get<TokenRow>(
      'UPDATE tokens SET last_used_at = @now WHERE token_hash = @tokenHash RETURNING *',
      { tokenHash, now: ms(now) },
    ),
  );
  return row && tokenFromRow(row);
}

export function listTokens(db: SqliteDb, username?: string): TokenRecord[] {
  return db
    .all<TokenRow>(
      `SELECT * FROM tokens WHERE @username IS NULL OR username = @username
       ORDER BY created_at, id`,
      { username: username ?? null },
    )
    .map(tokenFromRow);
}

export function revokeToken(db: SqliteDb, id: string): boolean {
  return db.write(() => db.run('DELETE FROM tokens WHERE id = @id', { id })).changes > 0;
}

export function createSession(db: SqliteDb, session: SessionRecord): void {
  db.write(() => {
    assertUserExists(db, session.username, 'session');
    try {
      db.run(
        `INSERT INTO sessions (key_hash, username, created_at, expires_at)
         VALUES (@keyHash, @username, @createdAt, @expiresAt)`,
        {
          keyHash: session.keyHash,
          username: session.username,
          createdAt: ms(session.createdAt),
          expiresAt: ms(session.expiresAt),
        },
      );
    } catch (error) {
      if (isConstraintError(error))
        throw new KolejkaError('KOLEJKA_CONFLICT', 'A session with this key exists', {
          cause: error,
        });
      throw error;
    }
  });
}

export function getSession(db: SqliteDb, keyHash: string, now: Date): SessionRecord | undefined {
  const row = db.get<SessionRow>(
    'SELECT * FROM sessions WHERE key_hash = @keyHash AND expires_at > @now',
    { keyHash, now: ms(now) },
  );
  return row && sessionFromRow(row);
}

export function deleteSession(db: SqliteDb, keyHash: string): void {
  db.write(() => db.run('DELETE FROM sessions WHERE key_hash = @keyHash', { keyHash }));
}

export function deleteExpiredSessions(db: SqliteDb, now: Date): number {
  return db.write(() => db.run('DELETE FROM sessions WHERE expires_at <= @now', { now: ms(now) }))
    .changes;
}
