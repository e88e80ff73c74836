import { useState } from 'preact/hooks';
import type { SessionView } from '../api.ts';
import { ApiError, signIn } from './api.ts';
import { ErrorNote, PageHeading, errorText } from './widgets.tsx';

// Sign-in with an API key (posted in the body, never in a URL) or with the client certificate the
// browser presented to the HTTPS door. The key is dropped from memory once sent.

export function SignIn({ onSignedIn, notice }: { onSignedIn(session: SessionView): void; notice: string | null }) {
  const [apiKey, setApiKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function attempt(key: string | null): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(key);
      setApiKey('');
      onSignedIn(session);
    } catch (err) {
      setError(refusal(err, key === null));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="sign-in" tabIndex={-1}>
      <PageHeading title="Sign in" />
      <p>The operations console of the HL7 v2 listener. Sign in with an API key that has the read role, or with your client certificate.</p>
      {notice === null ? null : (
        <p class="note" role="status">
          {notice}
        </p>
      )}
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          if (apiKey.trim() === '') setError('Enter an API key, or use your client certificate.');
          else void attempt(apiKey.trim());
        }}
      >
        <label for="api-key">API key</label>
        <input id="api-key" name="apiKey" type="password" autoComplete="off" spellcheck={false} value={apiKey} onInput={(e) => setApiKey(e.currentTarget.value)} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Sign in
          </button>
          <button type="button" disabled={busy} onClick={() => void attempt(null)}>
            Use my client certificate
          </button>
        </div>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}

/** A refused sign-in in the words of what the person tried. */
function refusal(err: unknown, withCertificate: boolean): string {
  if (!(err instanceof ApiError) || (err.status !== 401 && err.status !== 403)) return errorText(err);
  return withCertificate
    ? 'Your browser presented no client certificate that this service accepts. Sign in with an API key instead.'
    : 'That API key was not accepted: it is unknown, or it lacks the read role.';
}
