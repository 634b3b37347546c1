import type { ClientSession } from 'mongodb';
import { KolejkaError } from '@kolejka/spec';
import { TOKEN_USE_RESOLUTION_MS, assertRoles } from '../store-rules.js';
import type { Role, SessionRecord, TokenRecord, UserRecord } from '../store.js';
import { isDuplicateKeyError, type MongoDatabase } from './mongo-db.js';
import { sessionFromDoc, tokenFromDoc, userFromDoc } from './mongo-docs.js';

/* Users, API tokens and cookie sessions. */

export async function createUser(m: MongoDatabase, user: UserRecord): Promise<void> {
  assertRoles(user.roles);
  try {
    await m.collections.users.insertOne({
      _id: user.username,
      roles: [...user.roles],
      ...(user.passwordHash === undefined ? {} : { passwordHash: user.passwordHash }),
      createdAt: user.createdAt,
    });
  } catch (error) {
    if (isDuplicateKeyError(error))
      throw new KolejkaError('KOLEJKA_CONFLICT', `User ${user.username} exists`, { cause: error });
    throw error;
  }
}

export async function getUser(m: MongoDatabase, username: string): Promise<UserRecord | undefined> {
  const doc = await m.collections.users.findOne({ _id: username });
  return doc === null ? undefined : userFromDoc(doc);
}

export async function listUsers(m: MongoDatabase): Promise<UserRecord[]> {
  return (await m.collections.users.find().sort({ _id: 1 }).toArray()).map(userFromDoc);
}

export async function updateUser(
  m: MongoDatabase,
  username: string,
  changes: { roles?: Role[]; passwordHash?: string | null },
): Promise<boolean> {
  if (changes.roles !== undefined) assertRoles(changes.roles);
  const update = {
    $set: {
      ...(changes.roles === undefined ? {} : { roles: [...changes.roles] }),
      ...(typeof changes.passwordHash === 'string' ? { passwordHash: changes.passwordHash } : {}),
    },
    ...(changes.passwordHash === null ? { $unset: { passwordHash: '' as const } } : {}),
  };
  const result = await m.collections.users.updateOne({ _id: username }, update);
  return result.matchedCount > 0;
}

export async function removeUser(m: MongoDatabase, username: string): Promise<boolean> {
  return m.transaction(async (session) => {
    const removed = await m.collections.users.deleteOne({ _id: username }, { session });
    if (removed.deletedCount === 0) return false;
    await m.collections.tokens.deleteMany({ username }, { session });
    await m.collections.sessions.deleteMany({ username }, { session });
    return true;
  });
}

/**
 * Inserts a document that belongs to a user, in a transaction that also writes the user
 * (bumps its `revision`: a real change, as MongoDB skips no-op updates), so it conflicts with
 * a concurrent `removeUser` instead of outliving it.
 */
async function insertForUser(
  m: MongoDatabase,
  username: string,
  what: string,
  insert: (session: ClientSession) => Promise<unknown>,
  conflict: string,
): Promise<void> {
  try {
    await m.transaction(async (session) => {
      const user = await m.collections.users.updateOne(
        { _id: username },
        { $inc: { revision: 1 } },
        { session },
      );
      if (user.matchedCount === 0)
        throw new KolejkaError(
          'KOLEJKA_NOT_FOUND',
          `Cannot create a ${what} for unknown user ${username}`,
        );
      await insert(session);
    });
  } catch (error) {
    if (isDuplicateKeyError(error))
      throw new KolejkaError('KOLEJKA_CONFLICT', conflict, { cause: error });
    throw error;
  }
}

export async function createToken(m: MongoDatabase, token: TokenRecord): Promise<void> {
  await insertForUser(
    m,
    token.username,
    'token',
    (session) =>
      m.collections.tokens.insertOne(
        {
          _id: token.id,
          username: token.username,
          tokenHash: token.tokenHash,
          ...(token.label === undefined ? {} : { label: token.label }),
          createdAt: token.createdAt,
          ...(token.lastUsedAt === undefined ? {} : { lastUsedAt: token.lastUsedAt }),
        },
        { session },
      ),
    `A token with id ${token.id} or this secret exists`,
  );
}

export async function useToken(
  m: MongoDatabase,
  tokenHash: string,
  now: Date,
): Promise<TokenRecord | undefined> {
  const current = await m.collections.tokens.findOne({ tokenHash });
  if (current === null) return undefined;
  const usedAt = current.lastUsedAt?.getTime();
  if (usedAt !== undefined && Math.abs(now.getTime() - usedAt) < TOKEN_USE_RESOLUTION_MS)
    return tokenFromDoc(current);
  const doc = await m.collections.tokens.findOneAndUpdate(
    { tokenHash },
    { $set: { lastUsedAt: now } },
    { returnDocument: 'after' },
  );
  return doc === null ? undefined : tokenFromDoc(doc);
}

export async function listTokens(m: MongoDatabase, username?: string): Promise<TokenRecord[]> {
  const docs = await m.collections.tokens
    .find(username === undefined ? {} : { username })
    .sort({ createdAt: 1, _id: 1 })
    .toArray();
  return docs.map(tokenFromDoc);
}

export async function revokeToken(m: MongoDatabase, id: string): Promise<boolean> {
  return (await m.collections.tokens.deleteOne({ _id: id })).deletedCount > 0;
}

export async function createSession(m: MongoDatabase, session: SessionRecord): Promise<void> {
  await insertForUser(
    m,
    session.username,
    'session',
    (s) =>
      m.collections.sessions.insertOne(
        {
          _id: session.keyHash,
          username: session.username,
          createdAt: session.createdAt,
          expiresAt: session.expiresAt,
        },
        { session: s },
      ),
    'A session with this key exists',
  );
}

export async function getSession(
  m: MongoDatabase,
  keyHash: string,
  now: Date,
): Promise<SessionRecord | undefined> {
  const doc = await m.collections.sessions.findOne({ _id: keyHash, expiresAt: { $gt: now } });
  return doc === null ? undefined : sessionFromDoc(doc);
}

export async function deleteSession(m: MongoDatabase, keyHash: string): Promise<void> {
  await m.collections.sessions.deleteOne({ _id: keyHash });
}

export async function deleteExpiredSessions(m: MongoDatabase, now: Date): Promise<number> {
  return (await m.collections.sessions.deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}
