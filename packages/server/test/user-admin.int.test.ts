import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/http-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/** Admin user management over API v1: create, change roles and password, tokens, remove. */
let t: TestServer;
const token = (name: string): string => t.users[name]?.token ?? '';
const asRoot = { token: '' };

beforeAll(async () => {
  t = await startTestServer();
  asRoot.token = token('root');
});
afterAll(async () => {
  await t.close();
});

const login = (username: string, password: string) =>
  api(t.url, '/api/v1/tokens', { json: { username, password } });
const me = (secret: string) => api(t.url, '/api/v1/me', { token: secret });
const issuesOf = (body: unknown): string[] =>
  ((body as { error: { details: { issues: { path: string }[] } } }).error.details.issues ?? []).map(
    (issue) => issue.path,
  );

describe('POST /api/v1/users', () => {
  it('creates a user who can then log in with the password', async () => {
    const created = await api(t.url, '/api/v1/users', {
      ...asRoot,
      json: { username: 'carol', roles: ['client', 'inspector', 'client'], password: 'pa55 word' },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.location).toBe('/api/v1/users/carol');
    expect(created.json).toMatchObject({
      username: 'carol',
      roles: ['client', 'inspector'],
      hasPassword: true,
      weight: 1,
    });
    expect(created.text).not.toContain('scrypt');
    const session = await login('carol', 'pa55 word');
    expect(session.status).toBe(201);
    const secret = (session.json as { token: string }).token;
    expect((await me(secret)).json).toMatchObject({ roles: ['client', 'inspector'] });

    const again = await api(t.url, '/api/v1/users', {
      ...asRoot,
      json: { username: 'carol', roles: ['client'] },
    });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: { code: 'KOLEJKA_CONFLICT' } });

    const listed = await api(t.url, '/api/v1/users', asRoot);
    expect(listed.json).toMatchObject({
      items: expect.arrayContaining([
        expect.objectContaining({ username: 'carol', roles: ['client', 'inspector'] }),
        expect.objectContaining({ username: 'foreman', roles: ['processor'] }),
      ]),
    });
  });

  it('names every problem at its JSON path', async () => {
    const bad = await api(t.url, '/api/v1/users', {
      ...asRoot,
      json: { username: 'no spaces', roles: ['client', 'wizard'], password: '', extra: 1 },
    });
    expect(bad.status).toBe(400);
    expect(issuesOf(bad.json).sort()).toEqual(['/extra', '/password', '/roles/1', '/username']);
    const noRoles = await api(t.url, '/api/v1/users', {
      ...asRoot,
      json: { username: 'dave', roles: [] },
    });
    expect(issuesOf(noRoles.json)).toEqual(['/roles']);
    const tooLong = await api(t.url, '/api/v1/users', {
      ...asRoot,
      json: { username: 'x'.repeat(151), roles: ['client'] },
    });
    expect(issuesOf(tooLong.json)).toEqual(['/username']);
    expect(await t.store.getUser('dave')).toBeUndefined();
  });

  it('is for admins only', async () => {
    const json = { username: 'eve', roles: ['admin'] };
    expect((await api(t.url, '/api/v1/users', { token: token('manager'), json })).status).toBe(403);
    expect((await api(t.url, '/api/v1/users', { token: token('alice'), json })).status).toBe(403);
    expect((await api(t.url, '/api/v1/users', { json })).status).toBe(401);
    expect(await t.store.getUser('eve')).toBeUndefined();
  });
});

describe('POST /api/v1/users/{name}/tokens', () => {
  it('gives a password-less user a token, shown once', async () => {
    const created = await api(t.url, '/api/v1/users', {
      ...asRoot,
      json: { username: 'ci-runner', roles: ['client'] },
    });
    expect(created.json).toMatchObject({ hasPassword: false });
    const issued = await api(t.url, '/api/v1/users/ci-runner/tokens', {
      ...asRoot,
      json: { label: 'github' },
    });
    expect(issued.status, issued.text).toBe(201);
    const body = issued.json as Record<string, string>;
    expect(body).toMatchObject({ username: 'ci-runner', label: 'github', id: expect.any(String) });
    expect(body.token).toMatch(/^kolejka_/);
    expect(Date.parse(body.createdAt ?? '')).not.toBeNaN();
    expect((await me(body.token ?? '')).json).toMatchObject({ username: 'ci-runner' });
    const listed = await api(t.url, '/api/v1/tokens?username=ci-runner', asRoot);
    expect(listed.json).toMatchObject({ items: [{ id: body.id, label: 'github' }] });
    expect(listed.text).not.toContain(body.token);

    // No body at all: a token without a label.
    const bare = await api(t.url, '/api/v1/users/ci-runner/tokens', { ...asRoot, method: 'POST' });
    expect(bare.status, bare.text).toBe(201);
    expect(bare.json).not.toHaveProperty('label');
  });

  it('refuses non-admins, unknown users and bad labels', async () => {
    const forAlice = await api(t.url, '/api/v1/users/alice/tokens', {
      token: token('manager'),
      json: {},
    });
    expect(forAlice.status).toBe(403);
    expect(
      (await api(t.url, '/api/v1/users/alice/tokens', { token: token('alice'), json: {} })).status,
    ).toBe(403);
    expect((await api(t.url, '/api/v1/users/nobody/tokens', { ...asRoot, json: {} })).status).toBe(
      404,
    );
    const bad = await api(t.url, '/api/v1/users/alice/tokens', {
      ...asRoot,
      json: { label: 7, scope: 'all' },
    });
    expect(bad.status).toBe(400);
    expect(issuesOf(bad.json).sort()).toEqual(['/label', '/scope']);
    expect(await t.store.listTokens('alice')).toHaveLength(1);
  });
});

describe('PATCH /api/v1/users/{name}: roles and password', () => {
  it('replaces the roles and the password, beside the weight', async () => {
    await api(t.url, '/api/v1/users', {
      ...asRoot,
      json: { username: 'frank', roles: ['client'], password: 'old password' },
    });
    const changed = await api(t.url, '/api/v1/users/frank', {
      ...asRoot,
      method: 'PATCH',
      json: { roles: ['client', 'manager'], password: 'new password', weight: 2 },
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json).toMatchObject({ roles: ['client', 'manager'], weight: 2 });
    expect((await login('frank', 'old password')).status).toBe(401);
    const session = await login('frank', 'new password');
    expect(session.status).toBe(201);
    expect((session.json as { roles: string[] }).roles).toEqual(['client', 'manager']);
  });

  it('keeps admins from dropping their own admin role (409), not from other changes', async () => {
    const dropped = await api(t.url, '/api/v1/users/root', {
      ...asRoot,
      method: 'PATCH',
      json: { roles: ['manager'] },
    });
    expect(dropped.status).toBe(409);
    expect((dropped.json as { error: { message: string } }).error.message).toMatch(/own admin/);
    expect((await t.store.getUser('root'))?.roles).toEqual(['admin']);
    const kept = await api(t.url, '/api/v1/users/root', {
      ...asRoot,
      method: 'PATCH',
      json: { roles: ['manager', 'admin'] },
    });
    expect(kept.status).toBe(200);
    expect((await t.store.getUser('root'))?.roles).toEqual(['manager', 'admin']);
  });

  it('validates roles and password with JSON paths; non-admins get 403', async () => {
    const bad = await api(t.url, '/api/v1/users/alice', {
      ...asRoot,
      method: 'PATCH',
      json: { roles: ['root'], password: 5, nickname: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(issuesOf(bad.json).sort()).toEqual(['/nickname', '/password', '/roles/0']);
    const byManager = await api(t.url, '/api/v1/users/alice', {
      token: token('manager'),
      method: 'PATCH',
      json: { roles: ['admin'] },
    });
    expect(byManager.status).toBe(403);
    expect((await t.store.getUser('alice'))?.roles).toEqual(['client']);
  });
});

describe('DELETE /api/v1/users/{name}', () => {
  it('removes the user and revokes its tokens', async () => {
    await api(t.url, '/api/v1/users', {
      ...asRoot,
      json: { username: 'gone', roles: ['processor'] },
    });
    const issued = await api(t.url, '/api/v1/users/gone/tokens', { ...asRoot, json: {} });
    const secret = (issued.json as { token: string }).token;
    expect((await me(secret)).status).toBe(200);
    const removed = await api(t.url, '/api/v1/users/gone', { ...asRoot, method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect((await me(secret)).status).toBe(401);
    expect(await t.store.listTokens('gone')).toEqual([]);
    expect((await api(t.url, '/api/v1/users/gone', asRoot)).status).toBe(404);
    expect((await api(t.url, '/api/v1/users/gone', { ...asRoot, method: 'DELETE' })).status).toBe(
      404,
    );
  });

  it('refuses removing oneself (409) and non-admins (403)', async () => {
    const self = await api(t.url, '/api/v1/users/root', { ...asRoot, method: 'DELETE' });
    expect(self.status).toBe(409);
    expect(
      (await api(t.url, '/api/v1/users/bob', { token: token('manager'), method: 'DELETE' })).status,
    ).toBe(403);
    expect(await t.store.getUser('root')).toBeDefined();
    expect(await t.store.getUser('bob')).toBeDefined();
  });
});
