import { describe, expect, it } from 'vitest';
import { T0, at, expectKolejkaError, useStore, type StoreEngine } from './store-fixtures.js';

/** Users, tokens, sessions, foremen and closing. */
export function describeAccountConformance(engine: StoreEngine): void {
  const context = useStore(engine);

  describe('users', () => {
    it('creates, reads, lists, updates and removes users', async () => {
      const { store } = context();
      await store.createUser({ username: 'bob', roles: ['client'], createdAt: T0 });
      await store.createUser({
        username: 'alice',
        roles: ['processor', 'inspector'],
        passwordHash: 'scrypt$1$2$3$salt$hash',
        createdAt: at(1),
      });
      expect(await store.getUser('alice')).toEqual({
        username: 'alice',
        roles: ['processor', 'inspector'],
        passwordHash: 'scrypt$1$2$3$salt$hash',
        createdAt: at(1),
      });
      expect(await store.getUser('nobody')).toBeUndefined();
      expect((await store.listUsers()).map((u) => u.username)).toEqual(['alice', 'bob']);

      expect(await store.updateUser('bob', { roles: ['manager'], passwordHash: 'h2' })).toBe(true);
      expect(await store.getUser('bob')).toMatchObject({ roles: ['manager'], passwordHash: 'h2' });
      expect(await store.updateUser('bob', { passwordHash: null })).toBe(true);
      const bob = await store.getUser('bob');
      expect(bob?.roles).toEqual(['manager']);
      expect(bob).not.toHaveProperty('passwordHash');
      expect(await store.updateUser('nobody', { roles: ['admin'] })).toBe(false);

      expect(await store.removeUser('bob')).toBe(true);
      expect(await store.removeUser('bob')).toBe(false);
      expect(await store.getUser('bob')).toBeUndefined();
    });

    it('refuses a second user of the same name and unknown roles', async () => {
      const { store } = context();
      await store.createUser({ username: 'bob', roles: ['client'], createdAt: T0 });
      await expectKolejkaError(
        store.createUser({ username: 'bob', roles: ['admin'], createdAt: T0 }),
        'KOLEJKA_CONFLICT',
        /bob/,
      );
      expect((await store.getUser('bob'))?.roles).toEqual(['client']);
      await expectKolejkaError(
        store.createUser({ username: 'eve', roles: ['root' as 'admin'], createdAt: T0 }),
        'KOLEJKA_VALIDATION',
        /root/,
      );
    });

    it('returns copies', async () => {
      const { store } = context();
      await store.createUser({ username: 'bob', roles: ['client'], createdAt: T0 });
      const copy = await store.getUser('bob');
      copy?.roles.push('admin');
      expect((await store.getUser('bob'))?.roles).toEqual(['client']);
    });
  });

  describe('tokens', () => {
    it('creates, uses, lists and revokes tokens', async () => {
      const { store } = context();
      await store.createUser({ username: 'bob', roles: ['client'], createdAt: T0 });
      await store.createUser({ username: 'eve', roles: ['client'], createdAt: T0 });
      await store.createToken({
        id: 't1',
        username: 'bob',
        tokenHash: 'h1',
        label: 'ci',
        createdAt: T0,
      });
      await store.createToken({ id: 't2', username: 'eve', tokenHash: 'h2', createdAt: at(1) });

      const used = await store.useToken('h1', at(5));
      expect(used).toEqual({
        id: 't1',
        username: 'bob',
        tokenHash: 'h1',
        label: 'ci',
        createdAt: T0,
        lastUsedAt: at(5),
      });
      expect((await store.listTokens('bob'))[0]?.lastUsedAt).toEqual(at(5));
      // Kept to the minute: a use within a minute is not written.
      expect((await store.useToken('h1', at(50)))?.lastUsedAt).toEqual(at(5));
      expect((await store.useToken('h1', at(70)))?.lastUsedAt).toEqual(at(70));
      expect((await store.listTokens('bob'))[0]?.lastUsedAt).toEqual(at(70));
      expect(await store.useToken('unknown', at(5))).toBeUndefined();
      expect((await store.listTokens()).map((t) => t.id)).toEqual(['t1', 't2']);
      expect((await store.listTokens('eve')).map((t) => t.id)).toEqual(['t2']);

      expect(await store.revokeToken('t1')).toBe(true);
      expect(await store.revokeToken('t1')).toBe(false);
      expect(await store.useToken('h1', at(6))).toBeUndefined();
    });

    it('refuses duplicate ids and secrets, and tokens of unknown users', async () => {
      const { store } = context();
      await store.createUser({ username: 'bob', roles: ['client'], createdAt: T0 });
      await store.createToken({ id: 't1', username: 'bob', tokenHash: 'h1', createdAt: T0 });
      await expectKolejkaError(
        store.createToken({ id: 't1', username: 'bob', tokenHash: 'h9', createdAt: T0 }),
        'KOLEJKA_CONFLICT',
      );
      await expectKolejkaError(
        store.createToken({ id: 't9', username: 'bob', tokenHash: 'h1', createdAt: T0 }),
        'KOLEJKA_CONFLICT',
      );
      await expectKolejkaError(
        store.createToken({ id: 't3', username: 'ghost', tokenHash: 'h3', createdAt: T0 }),
        'KOLEJKA_NOT_FOUND',
        /ghost/,
      );
      expect((await store.listTokens()).map((t) => t.id)).toEqual(['t1']);
    });
  });

  describe('sessions', () => {
    it('returns live sessions only and deletes them', async () => {
      const { store } = context();
      await store.createUser({ username: 'bob', roles: ['client'], createdAt: T0 });
      await store.createSession({
        keyHash: 's1',
        username: 'bob',
        createdAt: T0,
        expiresAt: at(60),
      });
      await store.createSession({
        keyHash: 's2',
        username: 'bob',
        createdAt: T0,
        expiresAt: at(10),
      });
      expect(await store.getSession('s1', at(59))).toEqual({
        keyHash: 's1',
        username: 'bob',
        createdAt: T0,
        expiresAt: at(60),
      });
      expect(await store.getSession('s1', at(60))).toBeUndefined();
      expect(await store.getSession('nope', T0)).toBeUndefined();
      await expectKolejkaError(
        store.createSession({ keyHash: 's1', username: 'bob', createdAt: T0, expiresAt: at(60) }),
        'KOLEJKA_CONFLICT',
      );
      await expectKolejkaError(
        store.createSession({ keyHash: 's3', username: 'ghost', createdAt: T0, expiresAt: at(60) }),
        'KOLEJKA_NOT_FOUND',
      );

      expect(await store.deleteExpiredSessions(at(30))).toBe(1);
      expect(await store.getSession('s1', T0)).toBeDefined();
      await store.deleteSession('s1');
      await store.deleteSession('s1');
      expect(await store.getSession('s1', T0)).toBeUndefined();
    });

    it('removing a user removes its tokens and sessions', async () => {
      const { store } = context();
      await store.createUser({ username: 'bob', roles: ['client'], createdAt: T0 });
      await store.createToken({ id: 't1', username: 'bob', tokenHash: 'h1', createdAt: T0 });
      await store.createSession({
        keyHash: 's1',
        username: 'bob',
        createdAt: T0,
        expiresAt: at(60),
      });
      await store.removeUser('bob');
      expect(await store.listTokens()).toEqual([]);
      expect(await store.useToken('h1', T0)).toBeUndefined();
      expect(await store.getSession('s1', T0)).toBeUndefined();
      // The name can be taken again, without the old credentials.
      await store.createUser({ username: 'bob', roles: ['client'], createdAt: at(1) });
      expect(await store.listTokens('bob')).toEqual([]);
    });
  });

  describe('foremen', () => {
    it('upserts, reads, lists and updates foremen', async () => {
      const { store } = context();
      const foreman = {
        id: 'node-b',
        username: 'proc',
        tags: ['gpu', 'x86'],
        capacity: { cpus: 4, memory: '4294967296b' },
        version: '0.1.0',
        isOnline: true,
        isDraining: false,
        serverId: 'server-1',
        lastHeartbeatAt: at(1),
        updatedAt: at(1),
      };
      await store.upsertForeman(foreman);
      await store.upsertForeman({ ...foreman, id: 'node-a', tags: [] });
      expect(await store.getForeman('node-b')).toEqual(foreman);
      expect((await store.listForemen()).map((f) => f.id)).toEqual(['node-a', 'node-b']);

      await store.upsertForeman({ ...foreman, tags: ['arm'], version: undefined, isOnline: false });
      const replaced = await store.getForeman('node-b');
      expect(replaced).toMatchObject({ tags: ['arm'], isOnline: false });
      expect(replaced).not.toHaveProperty('version');

      const before = Date.now();
      const updated = await store.updateForeman(
        'node-b',
        {
          isOnline: true,
          isDraining: true,
          serverId: undefined,
          lastHeartbeatAt: at(9),
          capacity: { cpus: 2 },
        },
        new Date(),
      );
      expect(updated).toMatchObject({
        isOnline: true,
        isDraining: true,
        lastHeartbeatAt: at(9),
        capacity: { cpus: 2 },
        tags: ['arm'],
      });
      expect(updated).not.toHaveProperty('serverId');
      expect(updated?.updatedAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(await store.getForeman('node-b')).toEqual(updated);
      expect(await store.updateForeman('ghost', { isOnline: false }, at(10))).toBeUndefined();
      expect(await store.getForeman('ghost')).toBeUndefined();
    });
  });

  describe('close', () => {
    it('is idempotent and later calls fail clearly', async () => {
      const { store } = context();
      await store.close();
      await store.close();
      await expectKolejkaError(store.getUser('bob'), 'KOLEJKA_UNAVAILABLE', /closed/);
      await expectKolejkaError(store.waitForChange(10), 'KOLEJKA_UNAVAILABLE', /closed/);
    });
  });
}
