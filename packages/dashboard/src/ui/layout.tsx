import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { LinkState } from '../api/events.js';
import { useSession } from './session-context.js';

const LINK_TEXT: Record<LinkState, string> = {
  connecting: 'connecting…',
  live: 'live',
  offline: 'offline, reconnecting',
};

/** Header with the navigation, the live indicator and the user; the page below. */
export function Layout({ children }: { children: preact.ComponentChildren }) {
  const { session, can, events, signOut } = useSession();
  const { path } = useLocation();
  const [link, setLink] = useState<LinkState>(events.state);
  useEffect(() => events.onState(setLink), [events]);

  const pages = [
    { href: '/ui/', label: 'Overview', isShown: true },
    { href: '/ui/tasks', label: 'Tasks', isShown: true },
    { href: '/ui/submit', label: 'Submit', isShown: can.submits },
    { href: '/ui/foremen', label: 'Foremen', isShown: can.managesForemen },
    { href: '/ui/queue', label: 'Queue & schedules', isShown: true },
    { href: '/ui/users', label: 'Users', isShown: can.isAdmin },
  ];
  const isCurrent = (href: string) =>
    href === '/ui/' ? path === '/ui/' || path === '/ui' : path.startsWith(href);

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/ui/">
          Kolejka
        </a>
        <nav aria-label="Pages">
          <ul>
            {pages
              .filter((page) => page.isShown)
              .map((page) => (
                <li key={page.href}>
                  <a href={page.href} aria-current={isCurrent(page.href) ? 'page' : undefined}>
                    {page.label}
                  </a>
                </li>
              ))}
          </ul>
        </nav>
        <div class="who">
          <span class={`link link-${link}`} role="status" title="Events channel">
            {LINK_TEXT[link]}
          </span>
          <span class="user">
            {session.username} <small>({session.roles.join(', ')})</small>
          </span>
          <button type="button" class="button button-plain" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">{children}</main>
    </>
  );
}
