import { apiJson, setToken } from './http.js';

export type Role = 'client' | 'processor' | 'inspector' | 'manager' | 'admin';

export interface Session {
  token: string;
  /** The token's id, to revoke it at sign-out (absent for a pasted token the server does not name). */
  tokenId?: string;
  username: string;
  roles: Role[];
}

const STORAGE_KEY = 'kolejka.session';

/** The session kept for this browser tab (sessionStorage: it ends with the tab). */
export function loadSession(): Session | undefined {
  try {
    const text = sessionStorage.getItem(STORAGE_KEY);
    return text === null ? undefined : (JSON.parse(text) as Session);
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session === undefined) sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
}

/** Trades a user name and password for a new token labelled as the dashboard's. */
export async function signInWithPassword(username: string, password: string): Promise<Session> {
  const answer = await apiJson<{ id: string; token: string; username: string; roles: Role[] }>(
    'Signing in',
    '/tokens',
    { method: 'POST', json: { username, password, label: 'dashboard' } },
  );
  return {
    token: answer.token,
    tokenId: answer.id,
    username: answer.username,
    roles: answer.roles,
  };
}

/** Checks a pasted token by asking who it belongs to. */
export async function signInWithToken(token: string): Promise<Session> {
  setToken(token);
  try {
    const me = await apiJson<{ username: string; roles: Role[]; tokenId?: string }>(
      'Signing in with the token',
      '/me',
    );
    return {
      token,
      username: me.username,
      roles: me.roles,
      ...(me.tokenId === undefined ? {} : { tokenId: me.tokenId }),
    };
  } finally {
    setToken(undefined);
  }
}

/** Revokes the session's token on the server (a pasted token too: sign-out means it). */
export async function revokeSession(session: Session): Promise<void> {
  if (session.tokenId === undefined) return;
  await apiJson('Signing out', `/tokens/${encodeURIComponent(session.tokenId)}`, {
    method: 'DELETE',
  });
}

/** What the signed-in user may do, from the server's role grants (the server still decides). */
export function abilities(roles: readonly Role[]) {
  const has = (...wanted: Role[]) => roles.some((role) => wanted.includes(role));
  return {
    readsEverything: has('inspector', 'manager', 'admin'),
    managesTasks: has('manager', 'admin'),
    managesForemen: has('manager', 'admin'),
    managesQueue: has('manager', 'admin'),
    submits: has('client', 'admin'),
    isAdmin: has('admin'),
  };
}

export type Abilities = ReturnType<typeof abilities>;
