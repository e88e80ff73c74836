import { useEffect, useState } from 'preact/hooks';
import type { SessionView } from '../api.ts';
import { href, type Route } from './route.ts';

// The signed-in banner: navigation, who is signed in with which roles, sign out, and a warning
// before the session's idle expiry (the server's time, kept fresh by every successful request).

const warnSeconds = 120;

const pages: Array<{ label: string; href: string; pages: Route['page'][] }> = [
  { label: 'Overview', href: href.overview, pages: ['overview'] },
  { label: 'Messages', href: href.messages, pages: ['messages', 'message'] },
  { label: 'Processing', href: href.processing, pages: ['processing'] },
  { label: 'Patients', href: href.patients, pages: ['patients', 'patient'] },
];

export type HeaderProps = {
  session: SessionView;
  route: Route;
  idleExpiresAt: number;
  onSignOut(): void;
  onStay(): void;
};

export function Header({ session, route, idleExpiresAt, onSignOut, onStay }: HeaderProps) {
  const now = useNow();
  const left = Math.max(0, Math.round((idleExpiresAt - now) / 1000));
  return (
    <header class="banner">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <span class="brand">HL7 listener console</span>
      <nav aria-label="Console">
        <ul>
          {pages.map((p) => (
            <li key={p.label}>
              <a href={p.href} aria-current={p.pages.includes(route.page) ? 'page' : undefined}>
                {p.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="who">
        <span>
          Signed in as <strong>{session.name}</strong> <span class="roles">({session.roles.join(', ')})</span>
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </div>
      <div class="idle" role="status">
        {left <= warnSeconds ? (
          <p class="note note-warn">
            {left === 0 ? 'Your session has ended for inactivity.' : `Your session ends in ${left} s unless you use the console.`}{' '}
            <button type="button" onClick={onStay}>
              Stay signed in
            </button>
          </p>
        ) : null}
      </div>
    </header>
  );
}

function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}
