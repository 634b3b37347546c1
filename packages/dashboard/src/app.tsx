import { useEffect, useMemo, useState } from 'preact/hooks';
import { LocationProvider, Route, Router } from 'preact-iso';
import { EventsLink } from './api/events.js';
import { setToken } from './api/http.js';
import { abilities, loadSession, revokeSession, saveSession, type Session } from './api/session.js';
import { ForemenPage } from './pages/foremen.js';
import { NotFound } from './pages/not-found.js';
import { OverviewPage } from './pages/overview.js';
import { QueuePage } from './pages/queue.js';
import { SignIn } from './pages/sign-in.js';
import { SubmitPage } from './pages/submit.js';
import { TaskPage } from './pages/task.js';
import { TasksPage } from './pages/tasks.js';
import { UsersPage } from './pages/users.js';
import { Layout } from './ui/layout.js';
import { SessionContext, type SessionContextValue } from './ui/session-context.js';

export function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [notice, setNotice] = useState<string | undefined>(undefined);

  const endSession = (message?: string) => {
    saveSession(undefined);
    setToken(undefined);
    setNotice(message);
    setSession(undefined);
  };

  // Set before the first render of a page, so its first request carries the token.
  if (session !== undefined)
    setToken(session.token, () =>
      endSession('The server no longer accepts this session: sign in again.'),
    );

  const value = useMemo<SessionContextValue | undefined>(() => {
    if (session === undefined) return undefined;
    const can = abilities(session.roles);
    return {
      session,
      can,
      events: new EventsLink(session.token, can.readsEverything),
      signOut: async () => {
        try {
          await revokeSession(session);
        } catch {
          // Signed out here either way; a token the server no longer knows is already revoked.
        }
        endSession('Signed out.');
      },
    };
  }, [session]);
  useEffect(() => () => value?.events.close(), [value]);

  if (value === undefined)
    return (
      <SignIn
        notice={notice}
        onSignedIn={(next) => {
          saveSession(next);
          setNotice(undefined);
          setSession(next);
        }}
      />
    );

  return (
    <SessionContext.Provider value={value}>
      <LocationProvider scope="/ui/">
        <Layout>
          <Router>
            <Route path="/ui/" component={OverviewPage} />
            <Route path="/ui" component={OverviewPage} />
            <Route path="/ui/tasks" component={TasksPage} />
            <Route path="/ui/tasks/:key" component={TaskPage} />
            <Route path="/ui/submit" component={SubmitPage} />
            <Route path="/ui/foremen" component={ForemenPage} />
            <Route path="/ui/queue" component={QueuePage} />
            <Route path="/ui/users" component={UsersPage} />
            <Route default component={NotFound} />
          </Router>
        </Layout>
      </LocationProvider>
    </SessionContext.Provider>
  );
}
