import { useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error.js';
import { signInWithPassword, signInWithToken, type Session } from '../api/session.js';
import { ErrorNote } from '../ui/error-note.js';
import { formText } from '../ui/form-text.js';

/** Sign in with a user name and password, or with a pasted API token. */
export function SignIn({
  onSignedIn,
  notice,
}: {
  onSignedIn: (session: Session) => void;
  notice?: string;
}) {
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [isBusy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      const session =
        mode === 'password'
          ? await signInWithPassword(formText(form, 'username'), formText(form, 'password'))
          : await signInWithToken(formText(form, 'token').trim());
      onSignedIn(session);
    } catch (caught) {
      setError(asApiError('Signing in', caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Kolejka</h1>
      {notice === undefined ? null : (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={(event) => void submit(event)} class="card">
        <h2>Sign in</h2>
        <div class="tabs" role="group" aria-label="How to sign in">
          <button
            type="button"
            aria-pressed={mode === 'password'}
            onClick={() => setMode('password')}
          >
            Password
          </button>
          <button type="button" aria-pressed={mode === 'token'} onClick={() => setMode('token')}>
            API token
          </button>
        </div>
        {mode === 'password' ? (
          <>
            <label>
              User name
              <input name="username" autocomplete="username" required autofocus />
            </label>
            <label>
              Password
              <input name="password" type="password" autocomplete="current-password" required />
            </label>
          </>
        ) : (
          <label>
            API token
            <input name="token" autocomplete="off" required spellcheck={false} />
          </label>
        )}
        <ErrorNote error={error} />
        <button type="submit" class="button button-primary" disabled={isBusy}>
          {isBusy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">The dashboard keeps its token for this tab only; signing out revokes it.</p>
      </form>
    </main>
  );
}
