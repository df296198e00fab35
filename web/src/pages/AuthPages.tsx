// Signing in (password, then a two-factor code when the account has one; or the OIDC provider when the
// server has one) and the first-run page that creates the administrator.
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { ApiError, api, unwrap } from '../api/client.ts';
import { ME_KEY, useServerInfo } from '../api/session.ts';
import { t } from '../i18n/index.ts';
import { TextField } from '../components/Field.tsx';

function Brand() {
  return (
    <div className="brand">
      <img src="./favicon.svg" alt="" />
      {t.appName}
    </div>
  );
}

function loginError(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  if (error.status === 429) {
    return t.auth.throttled(error.retryAfter ?? 30);
  }
  if (error.code === 'SECOND_FACTOR_WRONG') return t.auth.wrongCode;
  if (error.status === 401) return t.auth.wrongCredentials;
  return error.message;
}

export function LoginPage({ sessionEnded = false }: { sessionEnded?: boolean }) {
  const server = useServerInfo();
  const client = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const oidc = server.data?.login.oidc;
  const passwordLogin = server.data?.login.password ?? true;
  const codeInput = useRef<HTMLInputElement>(null);
  // The code is all the second step asks for: the cursor goes there.
  useEffect(() => {
    if (needsCode) codeInput.current?.focus();
  }, [needsCode]);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const tokens = unwrap(
        await api.POST('/api/v1/auth/login', {
          body: { username, password, ...(needsCode ? { totp: totp.trim() } : {}), device: deviceName() },
        }),
      );
      client.setQueryData(ME_KEY, tokens.user);
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'SECOND_FACTOR_REQUIRED') {
        setNeedsCode(true);
      } else {
        setError(loginError(caught));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="auth-page">
      <main className="auth-card">
        <Brand />
        <h1>{needsCode ? t.auth.totpTitle : t.auth.signInTitle}</h1>
        {sessionEnded && !error && (
          <p className="muted" role="status">
            {t.auth.sessionEnded}
          </p>
        )}
        {passwordLogin && (
          <form onSubmit={submit} noValidate>
            {!needsCode ? (
              <>
                <TextField
                  id="username"
                  label={t.auth.username}
                  autoComplete="username"
                  autoCapitalize="none"
                  required
                  value={username}
                  onChange={(event) => setUsername(event.target.value)}
                />
                <TextField
                  id="password"
                  label={t.auth.password}
                  type="password"
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(event) => setPassword(event.target.value)}
                />
              </>
            ) : (
              <TextField
                id="totp"
                label={t.auth.totpCode}
                hint={t.auth.totpHelp}
                ref={codeInput}
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                value={totp}
                onChange={(event) => setTotp(event.target.value)}
              />
            )}
            {error && (
              <p className="error-text" role="alert">
                {error}
              </p>
            )}
            <button type="submit" className="button primary" disabled={busy || !username || !password}>
              {busy ? t.auth.signingIn : needsCode ? t.auth.verify : t.auth.signIn}
            </button>
          </form>
        )}
        {oidc && (
          <>
            {passwordLogin && <div className="divider">{t.auth.or}</div>}
            <a
              className="button"
              href={`${oidc.loginUrl}?returnTo=${encodeURIComponent(location.pathname + location.search)}`}
            >
              {t.auth.oidc(oidc.displayName)}
            </a>
          </>
        )}
        <p className="faint" style={{ fontSize: '0.85rem', marginTop: '1.4rem', textAlign: 'center' }}>
          {t.auth.subsonicHint}
          {server.data && ` · ${server.data.name} ${server.data.version}`}
        </p>
      </main>
    </div>
  );
}

export function SetupPage() {
  const client = useQueryClient();
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (password !== confirm) {
      setError(t.auth.passwordsDiffer);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const tokens = unwrap(
        await api.POST('/api/v1/setup', { body: { username, password, device: deviceName() } }),
      );
      client.setQueryData(
        ['server'],
        (info: object | undefined) => info && { ...info, setupRequired: false },
      );
      client.setQueryData(ME_KEY, tokens.user);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="auth-page">
      <main className="auth-card">
        <Brand />
        <h1>{t.auth.setupTitle}</h1>
        <p className="muted">{t.auth.setupIntro}</p>
        <form onSubmit={submit}>
          <TextField
            id="setup-username"
            label={t.auth.username}
            autoComplete="username"
            required
            value={username}
            onChange={(event) => setUsername(event.target.value)}
          />
          <TextField
            id="setup-password"
            label={t.auth.password}
            hint={t.auth.passwordHint}
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
          <TextField
            id="setup-confirm"
            label={t.auth.confirmPassword}
            type="password"
            autoComplete="new-password"
            required
            value={confirm}
            onChange={(event) => setConfirm(event.target.value)}
          />
          {error && (
            <p className="error-text" role="alert">
              {error}
            </p>
          )}
          <button
            type="submit"
            className="button primary"
            disabled={busy || !username || password.length < 8}
          >
            {t.auth.createAdmin}
          </button>
        </form>
      </main>
    </div>
  );
}

/** "Firefox on Linux": what the session list shows for this browser. */
function deviceName(): string {
  const agent = navigator.userAgent;
  const browser = /Firefox\//.test(agent)
    ? 'Firefox'
    : /Edg\//.test(agent)
      ? 'Edge'
      : /Chrome\//.test(agent)
        ? 'Chrome'
        : /Safari\//.test(agent)
          ? 'Safari'
          : 'Browser';
  const system = /Android/.test(agent)
    ? 'Android'
    : /iPhone|iPad/.test(agent)
      ? 'iOS'
      : /Windows/.test(agent)
        ? 'Windows'
        : /Mac OS/.test(agent)
          ? 'macOS'
          : /Linux/.test(agent)
            ? 'Linux'
            : '';
  return `Tonearm web · ${browser}${system ? ` on ${system}` : ''}`;
}
