import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { SessionView } from '../api.ts';
import { fetchSession, listen, setCsrfToken, signOut } from './api.ts';
import { Header } from './header.tsx';
import { MessagePage } from './message.tsx';
import { forgetList } from './messages-list.ts';
import { MessagesPage } from './messages.tsx';
import { OverviewPage } from './overview.tsx';
import { PatientPage } from './patient.tsx';
import { PatientsPage, forgetPatientSearch } from './patients.tsx';
import { ProcessingPage } from './processing.tsx';
import { useRoute, type Route } from './route.ts';
import { SignIn } from './sign-in.tsx';
import { ErrorNote, PageHeading, errorText } from './widgets.tsx';

// The console's entry: the session decides between the sign-in page and the signed-in shell; the
// hash route picks the page. Nothing about patients or messages is kept outside memory.

type SessionState = { kind: 'loading' } | { kind: 'signed-out'; notice: string | null } | { kind: 'signed-in'; session: SessionView };

function App() {
  const route = useRoute();
  const [state, setState] = useState<SessionState>({ kind: 'loading' });
  const [error, setError] = useState<string | null>(null);
  const idle = useRef({ expiresAt: 0, lengthMs: 0 });
  const [idleExpiresAt, setIdleExpiresAt] = useState(0);

  const adopt = useCallback((session: SessionView | null, notice: string | null = null) => {
    setCsrfToken(session?.csrfToken ?? null);
    if (session === null) {
      forgetList();
      forgetPatientSearch();
      setState({ kind: 'signed-out', notice });
      return;
    }
    const expiresAt = Date.parse(session.idleExpiresAt);
    idle.current = { expiresAt, lengthMs: Math.max(0, expiresAt - Date.now()) };
    setIdleExpiresAt(expiresAt);
    setState({ kind: 'signed-in', session });
  }, []);

  useEffect(() => {
    listen({
      unauthorized: () => adopt(null, 'Your session has ended. Sign in again.'),
      // Every answered request renews the server's idle clock; follow it here without asking.
      used: () => {
        const next = Date.now() + idle.current.lengthMs;
        if (next - idle.current.expiresAt > 5_000) {
          idle.current.expiresAt = next;
          setIdleExpiresAt(next);
        }
      },
    });
    fetchSession().then(
      (session) => adopt(session),
      (err: unknown) => {
        setError(errorText(err));
        adopt(null);
      },
    );
  }, [adopt]);

  if (state.kind === 'loading') return <p class="loading">Loading…</p>;
  if (state.kind === 'signed-out') {
    return (
      <>
        <ErrorNote error={error} />
        <SignIn notice={state.notice} onSignedIn={(session) => adopt(session)} />
      </>
    );
  }
  const session = state.session;
  return (
    <>
      <Header
        session={session}
        route={route}
        idleExpiresAt={idleExpiresAt}
        onStay={() => void fetchSession().then((s) => adopt(s, 'Your session has ended. Sign in again.'))}
        onSignOut={() => {
          void signOut()
            .catch(() => undefined)
            .then(() => adopt(null, 'You have signed out.'));
        }}
      />
      <main id="main" tabIndex={-1}>
        <Page route={route} session={session} />
      </main>
    </>
  );
}

function Page({ route, session }: { route: Route; session: SessionView }) {
  const canOperate = session.roles.includes('operate');
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'messages':
      return <MessagesPage />;
    case 'message':
      return <MessagePage key={route.id} id={route.id} canOperate={canOperate} />;
    case 'processing':
      return <ProcessingPage canOperate={canOperate} />;
    case 'patients':
      return <PatientsPage />;
    case 'patient':
      return <PatientPage key={route.id} id={route.id} />;
    case 'not-found':
      return (
        <>
          <PageHeading title="Page not found" />
          <p>
            There is no such page. <a href="#/overview">Go to the overview</a>.
          </p>
        </>
      );
  }
}

const root = document.getElementById('app') ?? document.body;
render(<App />, root);
