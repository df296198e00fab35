// The listener's account: password, signed-in devices, two-factor sign-in (QR code, recovery codes),
// API keys for apps and scripts, listening privacy.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, endSession, unwrap } from '../api/client.ts';
import { useUser } from '../api/session.ts';
import { toast, toastError } from '../components/Toasts.tsx';
import { t } from '../i18n/index.ts';
import { QueryState } from '../lib/paged.tsx';
import { TextField } from '../components/Field.tsx';

function PasswordPanel() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <section className="panel">
      <h2>{t.account.changePassword}</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          api
            .PUT('/api/v1/me/password', { body: { currentPassword: current, newPassword: next } })
            .then(unwrap)
            .then(() => {
              // The server ends every session of the account, this one too: sign in with the new password.
              toast(t.account.passwordChanged);
              endSession();
            }, toastError)
            .finally(() => setBusy(false));
        }}
      >
        <TextField
          id="current-password"
          label={t.account.currentPassword}
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(event) => setCurrent(event.target.value)}
        />
        <TextField
          id="new-password"
          label={t.account.newPassword}
          hint={t.auth.passwordHint}
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={(event) => setNext(event.target.value)}
        />
        <button type="submit" className="button primary" disabled={busy || !current || next.length < 8}>
          {t.account.changePassword}
        </button>
      </form>
    </section>
  );
}

function SessionsPanel() {
  const client = useQueryClient();
  const sessions = useQuery({
    queryKey: ['sessions'],
    queryFn: async () => unwrap(await api.GET('/api/v1/me/sessions')).items,
  });
  const refresh = () => void client.invalidateQueries({ queryKey: ['sessions'] });
  return (
    <section className="panel">
      <h2>{t.account.sessions}</h2>
      <QueryState query={sessions}>
        <table className="data">
          <thead>
            <tr>
              <th scope="col">{t.account.sessions}</th>
              <th scope="col">{t.account.lastSeen}</th>
              <th scope="col">
                <span className="visually-hidden">{t.more}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(sessions.data ?? []).map((session) => (
              <tr key={session.id}>
                <td>
                  {session.device} <span className="faint">· {session.address}</span>
                  {session.current && <strong> · {t.account.thisDevice}</strong>}
                </td>
                <td>{t.time.dateTime(session.lastSeenAt)}</td>
                <td>
                  {!session.current && (
                    <button
                      type="button"
                      className="button small"
                      onClick={() =>
                        api
                          .DELETE('/api/v1/me/sessions/{id}', { params: { path: { id: session.id } } })
                          .then(unwrap)
                          .then(refresh, toastError)
                      }
                    >
                      {t.account.signOutSession}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="toolbar" style={{ marginTop: '1rem' }}>
          <button
            type="button"
            className="button small"
            disabled={(sessions.data ?? []).length < 2}
            onClick={() => api.DELETE('/api/v1/me/sessions').then(unwrap).then(refresh, toastError)}
          >
            {t.account.signOutOthers}
          </button>
        </div>
      </QueryState>
    </section>
  );
}

function TotpPanel() {
  const client = useQueryClient();
  const status = useQuery({
    queryKey: ['totp'],
    queryFn: async () => unwrap(await api.GET('/api/v1/me/totp')),
  });
  const [setup, setSetup] = useState<{ secret: string; qrSvg: string }>();
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [recovery, setRecovery] = useState<string[]>();
  const refresh = () => void client.invalidateQueries({ queryKey: ['totp'] });
  return (
    <section className="panel">
      <h2>{t.account.twoFactor}</h2>
      <QueryState query={status}>
        <p>{status.data?.enabled ? t.account.twoFactorOn : t.account.twoFactorOff}</p>
        {recovery && (
          <div role="status">
            <p>{t.account.recoveryCodes}</p>
            <pre style={{ fontFamily: 'var(--mono)' }}>{recovery.join('\n')}</pre>
          </div>
        )}
        {!status.data?.enabled && !setup && (
          <button
            type="button"
            className="button primary"
            onClick={() => api.POST('/api/v1/me/totp/setup').then(unwrap).then(setSetup, toastError)}
          >
            {t.account.setUpTotp}
          </button>
        )}
        {!status.data?.enabled && setup && (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              api
                .POST('/api/v1/me/totp/confirm', { body: { code: code.trim() } })
                .then(unwrap)
                .then((answer) => {
                  setRecovery((answer as { recoveryCodes?: string[] }).recoveryCodes);
                  setSetup(undefined);
                  setCode('');
                  refresh();
                }, toastError);
            }}
          >
            <p>{t.account.scanQr}</p>
            <img
              src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(setup.qrSvg)}`}
              alt={t.account.scanQr}
              width={200}
              height={200}
              style={{ background: '#fff', padding: 8, borderRadius: 8 }}
            />
            <p>
              {t.account.secret}: <code style={{ fontFamily: 'var(--mono)' }}>{setup.secret}</code>
            </p>
            <TextField
              id="totp-confirm"
              label={t.auth.totpCode}
              inputMode="numeric"
              autoComplete="one-time-code"
              value={code}
              onChange={(event) => setCode(event.target.value)}
            />
            <button type="submit" className="button primary" disabled={!code.trim()}>
              {t.account.confirmTotp}
            </button>
          </form>
        )}
        {status.data?.enabled && (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              api
                .DELETE('/api/v1/me/totp', { body: { password } })
                .then(unwrap)
                .then(() => {
                  setPassword('');
                  setRecovery(undefined);
                  refresh();
                }, toastError);
            }}
          >
            <TextField
              id="totp-disable-password"
              label={t.auth.password}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
            <button type="submit" className="button danger" disabled={!password}>
              {t.account.disableTotp}
            </button>
          </form>
        )}
      </QueryState>
    </section>
  );
}

function ApiKeysPanel() {
  const client = useQueryClient();
  const keys = useQuery({
    queryKey: ['api-keys'],
    queryFn: async () => unwrap(await api.GET('/api/v1/me/api-keys')).items,
  });
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string>();
  const refresh = () => void client.invalidateQueries({ queryKey: ['api-keys'] });
  return (
    <section className="panel">
      <h2>{t.account.apiKeys}</h2>
      <p className="muted">{t.account.apiKeysHelp}</p>
      {created && (
        <p role="status">
          {t.account.keyCreated}{' '}
          <code style={{ fontFamily: 'var(--mono)', wordBreak: 'break-all' }}>{created}</code>
        </p>
      )}
      <form
        className="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          api
            .POST('/api/v1/me/api-keys', { body: { name: name.trim() } })
            .then(unwrap)
            .then((key) => {
              setCreated(key.key);
              setName('');
              refresh();
            }, toastError);
        }}
      >
        <label className="visually-hidden" htmlFor="api-key-name">
          {t.account.newKeyName}
        </label>
        <input
          id="api-key-name"
          className="input"
          placeholder={t.account.newKeyName}
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <button type="submit" className="button">
          {t.account.createKey}
        </button>
      </form>
      <QueryState query={keys}>
        <table className="data">
          <tbody>
            {(keys.data ?? []).map((key) => (
              <tr key={key.id}>
                <td>
                  {key.name || key.prefix} <span className="faint">· {key.prefix}…</span>
                </td>
                <td>{key.lastUsedAt ? t.time.dateTime(key.lastUsedAt) : '—'}</td>
                <td>
                  <button
                    type="button"
                    className="button small danger"
                    onClick={() =>
                      api
                        .DELETE('/api/v1/me/api-keys/{id}', { params: { path: { id: key.id } } })
                        .then(unwrap)
                        .then(refresh, toastError)
                    }
                  >
                    {t.account.revoke}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </QueryState>
    </section>
  );
}

function PrivacyPanel() {
  const client = useQueryClient();
  const privacy = useQuery({
    queryKey: ['privacy'],
    queryFn: async () => unwrap(await api.GET('/api/v1/me/privacy')),
  });
  const change = (body: { shareListening?: boolean; historyVisibleToAdmins?: boolean }) =>
    api
      .PATCH('/api/v1/me/privacy', { body })
      .then(unwrap)
      .then((answer) => client.setQueryData(['privacy'], answer), toastError);
  return (
    <section className="panel">
      <h2>{t.account.privacy}</h2>
      <QueryState query={privacy}>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={privacy.data?.shareListening ?? false}
            onChange={(event) => void change({ shareListening: event.target.checked })}
          />
          {t.account.shareListening}
        </label>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={privacy.data?.historyVisibleToAdmins ?? false}
            onChange={(event) => void change({ historyVisibleToAdmins: event.target.checked })}
          />
          {t.account.historyVisible}
        </label>
      </QueryState>
    </section>
  );
}

export function AccountPage() {
  const user = useUser();
  return (
    <div className="page" style={{ maxWidth: 860 }}>
      <h1>{t.account.title}</h1>
      <p className="muted">
        {user.username}
        {user.email && ` · ${user.email}`}
        {user.admin && ` · ${t.admin.admin}`}
      </p>
      {user.roles.settings && <PasswordPanel />}
      <TotpPanel />
      <SessionsPanel />
      <ApiKeysPanel />
      <PrivacyPanel />
      <section className="panel">
        <h2>{t.player.shortcuts}</h2>
        <table className="data">
          <tbody>
            {t.player.shortcutList.map(([keys, action]) => (
              <tr key={keys}>
                <th scope="row">
                  <kbd>{keys}</kbd>
                </th>
                <td>{action}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
