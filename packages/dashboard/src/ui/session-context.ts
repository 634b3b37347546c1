import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { EventsLink } from '../api/events.js';
import type { Abilities, Session } from '../api/session.js';

export interface SessionContextValue {
  session: Session;
  can: Abilities;
  events: EventsLink;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionContextValue | undefined>(undefined);

/** The signed-in user, what they may do and the shared events link (pages render only signed in). */
export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (value === undefined) throw new Error('useSession outside a signed-in page');
  return value;
}
