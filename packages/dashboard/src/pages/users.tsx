import { useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error.js';
import { apiJson } from '../api/http.js';
import type { TokenView, UserView } from '../api/types.js';
import { ActionButton } from '../ui/action-button.js';
import { ErrorNote } from '../ui/error-note.js';
import { formText } from '../ui/form-text.js';
import { formatRelative, formatTime } from '../ui/format.js';
import { useSession } from '../ui/session-context.js';
import { useLoad } from '../ui/use-load.js';

const ROLES = ['client', 'processor', 'inspector', 'manager', 'admin'] as const;
const userPath = (name: string, rest = '') => `/users/${encodeURIComponent(name)}${rest}`;

/** Admins: users with roles and fair-share weights, their tokens (create, revoke), new users. */
export function UsersPage() {
  const { can } = useSession();
  const users = useLoad(
    'Loading users',
    (signal) => apiJson<{ items: UserView[] }>('Loading users', '/users', { signal }),
    [],
  );
  if (!can.isAdmin)
    return (
      <section>
        <h1>Users</h1>
        <p>Only admins manage users.</p>
      </section>
    );
  return (
    <section>
      <h1>Users</h1>
      <ErrorNote error={users.error} />
      <NewUserForm onCreated={users.reload} />
      <ul class="users">
        {(users.data?.items ?? []).map((user) => (
          <UserCard key={user.username} user={user} onChanged={users.reload} />
        ))}
      </ul>
    </section>
  );
}

function NewUserForm({ onCreated }: { onCreated: () => void }) {
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const password = formText(form, 'password');
    setError(undefined);
    try {
      await apiJson('Creating the user', '/users', {
        method: 'POST',
        json: {
          username: formText(form, 'username').trim(),
          roles: form.getAll('roles').map(String),
          ...(password === '' ? {} : { password }),
        },
      });
      formElement.reset();
      onCreated();
    } catch (caught) {
      setError(asApiError('Creating the user', caught));
    }
  };
  return (
    <details class="card">
      <summary>New user</summary>
      <form onSubmit={(event) => void submit(event)}>
        <label>
          User name
          <input name="username" required autocomplete="off" spellcheck={false} />
        </label>
        <fieldset>
          <legend>Roles</legend>
          {ROLES.map((role) => (
            <label class="check" key={role}>
              <input type="checkbox" name="roles" value={role} defaultChecked={role === 'client'} />{' '}
              {role}
            </label>
          ))}
        </fieldset>
        <label>
          Password (empty: the user signs in with tokens only)
          <input name="password" type="password" autocomplete="new-password" />
        </label>
        <ErrorNote error={error} />
        <button type="submit" class="button button-primary">
          Create user
        </button>
      </form>
    </details>
  );
}

function UserCard({ user, onChanged }: { user: UserView; onChanged: () => void }) {
  const [isOpen, setOpen] = useState(false);
  const [roles, setRoles] = useState<string[]>(user.roles);
  const [weight, setWeight] = useState(String(user.weight));
  return (
    <li class="card user-card" data-user={user.username}>
      <h2>{user.username}</h2>
      <p class="hint">
        {user.hasPassword ? 'signs in with a password or tokens' : 'tokens only'}; since{' '}
        {formatTime(user.createdAt)}
      </p>
      <form class="inline-form" onSubmit={(event) => event.preventDefault()}>
        <fieldset>
          <legend>Roles of {user.username}</legend>
          {ROLES.map((role) => (
            <label class="check" key={role}>
              <input
                type="checkbox"
                checked={roles.includes(role)}
                onChange={(event) =>
                  setRoles(
                    event.currentTarget.checked
                      ? [...roles, role]
                      : roles.filter((item) => item !== role),
                  )
                }
              />{' '}
              {role}
            </label>
          ))}
        </fieldset>
        <label>
          Fair-share weight
          <input
            type="number"
            min={1}
            step={1}
            value={weight}
            onInput={(event) => setWeight(event.currentTarget.value)}
          />
        </label>
        <ActionButton
          action={`Saving ${user.username}`}
          label={`Save ${user.username}`}
          run={async () => {
            await apiJson(`Saving ${user.username}`, userPath(user.username), {
              method: 'PATCH',
              json: { roles, weight: Number(weight) },
            });
            onChanged();
          }}
        >
          Save
        </ActionButton>
      </form>
      <p class="hint">
        Running at most {user.maxRunning ?? 'any number'}, queued at most{' '}
        {user.maxQueued ?? 'any number'}.
      </p>
      <button
        type="button"
        class="button button-plain"
        aria-expanded={isOpen}
        onClick={() => setOpen(!isOpen)}
      >
        {isOpen ? 'Hide tokens' : 'Tokens'}
      </button>
      {isOpen ? <Tokens username={user.username} /> : null}
    </li>
  );
}

function Tokens({ username }: { username: string }) {
  const tokens = useLoad(
    'Loading tokens',
    (signal) =>
      apiJson<{ items: TokenView[] }>(
        'Loading tokens',
        `/tokens?username=${encodeURIComponent(username)}`,
        { signal },
      ),
    [username],
  );
  const [secret, setSecret] = useState<string | undefined>(undefined);
  const [label, setLabel] = useState('');
  return (
    <div class="tokens">
      <ErrorNote error={tokens.error} />
      <ul>
        {(tokens.data?.items ?? []).map((token) => (
          <li key={token.id}>
            <code>{token.id}</code> {token.label ?? ''}{' '}
            <small>
              created {formatRelative(token.createdAt)}
              {token.lastUsedAt === undefined
                ? ', never used'
                : `, last used ${formatRelative(token.lastUsedAt)}`}
            </small>{' '}
            <ActionButton
              action={`Revoking token ${token.id}`}
              label={`Revoke token ${token.id}`}
              kind="danger"
              confirm={`Revoke token ${token.id} of ${username}?`}
              run={async () => {
                await apiJson('Revoking the token', `/tokens/${encodeURIComponent(token.id)}`, {
                  method: 'DELETE',
                });
                tokens.reload();
              }}
            >
              Revoke
            </ActionButton>
          </li>
        ))}
      </ul>
      <form class="inline-form" onSubmit={(event) => event.preventDefault()}>
        <label>
          Label of a new token
          <input value={label} onInput={(event) => setLabel(event.currentTarget.value)} />
        </label>
        <ActionButton
          action={`Creating a token for ${username}`}
          run={async () => {
            const created = await apiJson<{ token: string }>(
              'Creating the token',
              userPath(username, '/tokens'),
              { method: 'POST', json: label.trim() === '' ? {} : { label: label.trim() } },
            );
            setSecret(created.token);
            setLabel('');
            tokens.reload();
          }}
        >
          Create token
        </ActionButton>
      </form>
      {secret === undefined ? null : (
        <p class="secret" role="status">
          The new token (shown only now): <code>{secret}</code>
        </p>
      )}
    </div>
  );
}
