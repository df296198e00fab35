// Administration: libraries and scans (live progress from Server-Sent Events), users and roles, players,
// transcoding profiles, shares, the audit log, background jobs and the server's facts and switches.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { NavLink, Navigate, Route, Routes } from 'react-router';
import { api, type Schemas, unwrap } from '../../api/client.ts';
import { liveScans } from '../../api/live-events.ts';
import { useUser } from '../../api/session.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { toast, toastError } from '../../components/Toasts.tsx';
import { t } from '../../i18n/index.ts';
import { useStore } from '../../lib/store.ts';
import { QueryState } from '../../lib/paged.tsx';
import { TextField } from '../../components/Field.tsx';

const TABS: [string, string][] = [
  ['scans', t.admin.scans],
  ['users', t.admin.users],
  ['players', t.admin.players],
  ['transcoding', t.admin.transcoding],
  ['shares', t.admin.shares],
  ['audit', t.admin.audit],
  ['server', t.admin.server],
];

export function AdminPage() {
  const user = useUser();
  if (!user.admin) return <Navigate to="/" replace />;
  return (
    <div className="page">
      <h1>{t.admin.title}</h1>
      <nav className="tabs" aria-label={t.admin.title}>
        {TABS.map(([path, label]) => (
          <NavLink key={path} to={`/admin/${path}`} className={({ isActive }) => (isActive ? 'active' : '')}>
            {label}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<Navigate to="scans" replace />} />
        <Route path="scans" element={<ScansTab />} />
        <Route path="users" element={<UsersTab />} />
        <Route path="players" element={<PlayersTab />} />
        <Route path="transcoding" element={<TranscodingTab />} />
        <Route path="shares" element={<SharesTab />} />
        <Route path="audit" element={<AuditTab />} />
        <Route path="server" element={<ServerTab />} />
      </Routes>
    </div>
  );
}

function ScansTab() {
  const client = useQueryClient();
  const libraries = useQuery({
    queryKey: ['libraries'],
    queryFn: async () => unwrap(await api.GET('/api/v1/libraries')).items,
  });
  const live = useStore(liveScans, (state) => state.progress);
  const status = useQuery({
    queryKey: ['scan-status'],
    queryFn: async () => unwrap(await api.GET('/api/v1/scans/status')),
    // The live events carry the progress; this poll only covers a stream that could not connect.
    refetchInterval: (query) => (query.state.data?.scanning ? 5000 : false),
  });
  const running = Object.values(live);
  const scanning = running.length > 0 || status.data?.scanning === true;
  const start = (full: boolean, libraryId?: number) =>
    api
      .POST('/api/v1/scans', { body: { full, ...(libraryId ? { libraryId } : {}) } })
      .then(unwrap)
      .then(() => {
        toast(t.admin.scanning);
        void client.invalidateQueries({ queryKey: ['scan-status'] });
      }, toastError);
  const report = status.data?.lastReport;
  return (
    <>
      <section className="panel" aria-live="polite" data-testid="scan-panel">
        <h2>{t.admin.scans}</h2>
        <div className="toolbar">
          <button
            type="button"
            className="button primary"
            disabled={scanning}
            onClick={() => void start(false)}
          >
            {t.admin.scanAll}
          </button>
          <button type="button" className="button" disabled={scanning} onClick={() => void start(true)}>
            {t.admin.fullScan}
          </button>
        </div>
        {running.length > 0 ? (
          running.map((progress) => {
            const total = progress.phase === 'reading' ? progress.filesToRead : null;
            const done = progress.phase === 'reading' ? progress.filesRead : progress.filesSeen;
            const name =
              libraries.data?.find((library) => library.id === progress.libraryId)?.name ??
              String(progress.libraryId);
            return (
              <div
                key={progress.libraryId}
                data-testid="scan-progress"
                data-phase={progress.phase}
                data-done={done}
              >
                <p>
                  <strong>{name}</strong> · {progress.phase} · {t.admin.scanProgress(done, total)}
                  {progress.errors > 0 && <span className="error-text"> · {progress.errors} errors</span>}
                </p>
                <div
                  className="progress"
                  role="progressbar"
                  aria-label={name}
                  aria-valuemin={0}
                  aria-valuemax={total ?? undefined}
                  aria-valuenow={total ? done : undefined}
                >
                  <div
                    style={{
                      width: total ? `${(done / Math.max(1, total)) * 100}%` : '100%',
                      opacity: total ? 1 : 0.4,
                    }}
                  />
                </div>
              </div>
            );
          })
        ) : scanning ? (
          <p>{t.admin.scanning}</p>
        ) : (
          <p className="muted">{t.admin.scanIdle}</p>
        )}
        {report && (
          <p className="muted" data-testid="last-scan">
            {t.admin.lastScan}: {t.time.dateTime(report.finishedAt)} · +{report.added} ~{report.updated} −
            {report.removed} · {(report.durationMs / 1000).toFixed(1)} s
            {report.errorCount > 0 && ` · ${report.errorCount} errors`}
          </p>
        )}
      </section>
      <section className="panel">
        <h2>{t.admin.libraries}</h2>
        <QueryState query={libraries}>
          <table className="data">
            <thead>
              <tr>
                <th scope="col">{t.playlists.name}</th>
                <th scope="col">{t.nav.albums}</th>
                <th scope="col">{t.nav.songs}</th>
                <th scope="col">{t.admin.lastScan}</th>
                <th scope="col">
                  <span className="visually-hidden">{t.more}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(libraries.data ?? []).map((library) => (
                <tr key={library.id}>
                  <td>
                    {library.name}
                    {library.offline && <span className="error-text"> · offline</span>}
                  </td>
                  <td>{library.albumCount.toLocaleString()}</td>
                  <td>{library.trackCount.toLocaleString()}</td>
                  <td>{library.lastScanAt ? t.time.dateTime(library.lastScanAt) : '—'}</td>
                  <td>
                    <button
                      type="button"
                      className="button small"
                      disabled={scanning}
                      onClick={() => void start(false, library.id)}
                    >
                      {t.admin.scans}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </QueryState>
      </section>
    </>
  );
}

const ROLE_NAMES = [
  'stream',
  'download',
  'upload',
  'playlist',
  'share',
  'settings',
  'coverArt',
  'comment',
  'jukebox',
  'podcast',
] as const;

function UserForm({ user, onClose }: { user?: Schemas['User']; onClose: () => void }) {
  const client = useQueryClient();
  const [username, setUsername] = useState(user?.username ?? '');
  const [password, setPassword] = useState('');
  const [email, setEmail] = useState(user?.email ?? '');
  const [admin, setAdmin] = useState(user?.admin ?? false);
  const [roles, setRoles] = useState<Partial<Record<(typeof ROLE_NAMES)[number], boolean>>>(
    user
      ? Object.fromEntries(ROLE_NAMES.map((role) => [role, user.roles[role]]))
      : { stream: true, download: true, playlist: true, share: true, settings: true },
  );
  const save = async () => {
    if (user) {
      unwrap(
        await api.PATCH('/api/v1/admin/users/{username}', {
          params: { path: { username: user.username } },
          body: { admin, email, roles },
        }),
      );
      if (password)
        unwrap(
          await api.PUT('/api/v1/admin/users/{username}/password', {
            params: { path: { username: user.username } },
            body: { password },
          }),
        );
    } else {
      unwrap(await api.POST('/api/v1/admin/users', { body: { username, password, admin, email, roles } }));
    }
    void client.invalidateQueries({ queryKey: ['admin-users'] });
    onClose();
  };
  return (
    <Dialog title={user ? user.username : t.admin.newUser} onClose={onClose}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          save().catch(toastError);
        }}
      >
        {!user && (
          <TextField
            id="user-name"
            label={t.auth.username}
            required
            value={username}
            onChange={(event) => setUsername(event.target.value)}
          />
        )}
        <TextField
          id="user-password"
          label={t.auth.password}
          type="password"
          autoComplete="new-password"
          required={!user}
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <TextField
          id="user-email"
          label="Email"
          type="email"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <label className="checkbox">
          <input type="checkbox" checked={admin} onChange={(event) => setAdmin(event.target.checked)} />
          {t.admin.admin}
        </label>
        <fieldset style={{ border: '1px solid var(--border)', borderRadius: 8 }}>
          <legend>{t.admin.roles}</legend>
          {ROLE_NAMES.map((role) => (
            <label key={role} className="checkbox">
              <input
                type="checkbox"
                checked={roles[role] ?? false}
                onChange={(event) => setRoles({ ...roles, [role]: event.target.checked })}
              />
              {role}
            </label>
          ))}
        </fieldset>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            {t.cancel}
          </button>
          <button type="submit" className="button primary">
            {t.save}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function UsersTab() {
  const client = useQueryClient();
  const me = useUser();
  const users = useQuery({
    queryKey: ['admin-users'],
    queryFn: async () => unwrap(await api.GET('/api/v1/admin/users')).items,
  });
  const [editing, setEditing] = useState<Schemas['User'] | 'new'>();
  const remove = (user: Schemas['User']) => {
    if (!window.confirm(t.admin.deleteUserConfirm(user.username))) return;
    api
      .DELETE('/api/v1/admin/users/{username}', { params: { path: { username: user.username } } })
      .then(unwrap)
      .then(() => client.invalidateQueries({ queryKey: ['admin-users'] }), toastError);
  };
  return (
    <section className="panel">
      <div className="toolbar">
        <h2 style={{ margin: 0 }}>{t.admin.users}</h2>
        <span className="spacer" />
        <button type="button" className="button primary" onClick={() => setEditing('new')}>
          {t.admin.newUser}
        </button>
      </div>
      <QueryState query={users}>
        <table className="data">
          <thead>
            <tr>
              <th scope="col">{t.auth.username}</th>
              <th scope="col">{t.admin.roles}</th>
              <th scope="col">
                <span className="visually-hidden">{t.more}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(users.data ?? []).map((user) => (
              <tr key={user.id}>
                <td>
                  <strong>{user.username}</strong>{' '}
                  {user.email && <span className="faint">· {user.email}</span>}
                </td>
                <td>
                  {[user.admin && t.admin.admin, ...ROLE_NAMES.filter((role) => user.roles[role])]
                    .filter(Boolean)
                    .join(', ')}
                </td>
                <td style={{ whiteSpace: 'nowrap' }}>
                  <button type="button" className="button small" onClick={() => setEditing(user)}>
                    {t.edit}
                  </button>{' '}
                  {user.id !== me.id && (
                    <button type="button" className="button small danger" onClick={() => remove(user)}>
                      {t.delete}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </QueryState>
      {editing && (
        <UserForm user={editing === 'new' ? undefined : editing} onClose={() => setEditing(undefined)} />
      )}
    </section>
  );
}

/** Deletes one row's item and refetches the list it is in. */
function DeleteButton({
  remove,
  queryKey,
  label,
}: {
  remove: () => Promise<{ error?: unknown; response: Response }>;
  queryKey: string[];
  label?: string;
}) {
  const client = useQueryClient();
  return (
    <button
      type="button"
      className="button small danger"
      aria-label={label}
      onClick={() =>
        remove()
          .then(unwrap)
          .then(() => client.invalidateQueries({ queryKey }), toastError)
      }
    >
      {t.delete}
    </button>
  );
}

function PlayersTab() {
  const players = useQuery({
    queryKey: ['players'],
    queryFn: async () => unwrap(await api.GET('/api/v1/players', { params: { query: { all: 'true' } } })),
  });
  return (
    <section className="panel">
      <h2>{t.admin.players}</h2>
      <QueryState query={players} empty={players.data?.items.length === 0 && t.none}>
        <table className="data">
          <thead>
            <tr>
              <th scope="col">{t.admin.players}</th>
              <th scope="col">{t.auth.username}</th>
              <th scope="col">{t.player.quality}</th>
              <th scope="col">{t.account.lastSeen}</th>
              <th scope="col">
                <span className="visually-hidden">{t.more}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(players.data?.items ?? []).map((player) => (
              <tr key={player.id}>
                <td>
                  {player.name || player.client} <span className="faint">· {player.client}</span>
                </td>
                <td>{player.username}</td>
                <td>
                  {[player.format || t.player.original, player.maxBitRate ? `${player.maxBitRate} kbps` : '']
                    .filter(Boolean)
                    .join(' · ')}
                </td>
                <td>{new Date(player.lastSeenAt).toLocaleString()}</td>
                <td>
                  <DeleteButton
                    remove={() => api.DELETE('/api/v1/players/{id}', { params: { path: { id: player.id } } })}
                    queryKey={['players']}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </QueryState>
    </section>
  );
}

type Profile = Schemas['TranscodeProfile'];

/** Add or replace an admin profile; built-in ones are copied under a new name. */
function ProfileForm({ profile, onClose }: { profile: Profile | undefined; onClose: () => void }) {
  const client = useQueryClient();
  const copying = !profile || profile.builtIn;
  const [name, setName] = useState(copying ? '' : profile.name);
  const [codec, setCodec] = useState(profile?.codec ?? 'libopus');
  const [suffix, setSuffix] = useState(profile?.suffix ?? 'opus');
  const [contentType, setContentType] = useState(profile?.contentType ?? 'audio/ogg');
  const [defaultBitrate, setDefaultBitrate] = useState(String(profile?.defaultBitrate ?? 128));
  const [maxBitrate, setMaxBitrate] = useState(String(profile?.maxBitrate ?? 320));
  const [lossless, setLossless] = useState(profile?.lossless ?? false);
  const [args, setArgs] = useState((profile?.arguments ?? []).join('\n'));
  const save = async () => {
    unwrap(
      await api.PUT('/api/v1/transcoding/profiles/{name}', {
        params: { path: { name: name.trim() } },
        body: {
          codec,
          suffix,
          contentType,
          lossless,
          defaultBitrate: Number(defaultBitrate),
          maxBitrate: Number(maxBitrate),
          arguments: args
            .split('\n')
            .map((line) => line.trim())
            .filter(Boolean),
        },
      }),
    );
    void client.invalidateQueries({ queryKey: ['transcoding-profiles'] });
    onClose();
  };
  return (
    <Dialog title={copying ? t.admin.newProfile : profile.name} onClose={onClose}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          save().catch(toastError);
        }}
      >
        {copying && (
          <TextField
            id="profile-name"
            label={t.playlists.name}
            required
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
        )}
        <TextField
          id="profile-codec"
          label="Codec (ffmpeg)"
          required
          value={codec}
          onChange={(event) => setCodec(event.target.value)}
        />
        <TextField
          id="profile-suffix"
          label={t.admin.suffix}
          required
          value={suffix}
          onChange={(event) => setSuffix(event.target.value)}
        />
        <TextField
          id="profile-type"
          label="Content-Type"
          required
          value={contentType}
          onChange={(event) => setContentType(event.target.value)}
        />
        <TextField
          id="profile-default"
          label={t.admin.defaultBitrate}
          type="number"
          min={8}
          max={1536}
          value={defaultBitrate}
          onChange={(event) => setDefaultBitrate(event.target.value)}
        />
        <TextField
          id="profile-max"
          label={t.admin.maxBitrate}
          type="number"
          min={8}
          max={1536}
          value={maxBitrate}
          onChange={(event) => setMaxBitrate(event.target.value)}
        />
        <label className="checkbox">
          <input type="checkbox" checked={lossless} onChange={(event) => setLossless(event.target.checked)} />
          {t.admin.lossless}
        </label>
        <div className="field">
          <label htmlFor="profile-arguments">{t.admin.ffmpegArguments}</label>
          <textarea
            id="profile-arguments"
            className="input"
            rows={6}
            value={args}
            onChange={(event) => setArgs(event.target.value)}
          />
        </div>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            {t.cancel}
          </button>
          <button type="submit" className="button primary" disabled={!name.trim()}>
            {t.save}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function TranscodingTab() {
  const profiles = useQuery({
    queryKey: ['transcoding-profiles'],
    queryFn: async () => unwrap(await api.GET('/api/v1/transcoding/profiles')),
  });
  const [editing, setEditing] = useState<Profile | 'new'>();
  return (
    <section className="panel">
      <div className="toolbar">
        <h2 style={{ margin: 0 }}>{t.admin.transcoding}</h2>
        <span className="spacer" />
        <button type="button" className="button primary" onClick={() => setEditing('new')}>
          {t.admin.newProfile}
        </button>
      </div>
      <QueryState query={profiles}>
        <table className="data">
          <thead>
            <tr>
              <th scope="col">{t.playlists.name}</th>
              <th scope="col">Codec</th>
              <th scope="col">kbps</th>
              <th scope="col">ffmpeg</th>
              <th scope="col">
                <span className="visually-hidden">{t.more}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(profiles.data?.items ?? []).map((profile) => (
              <tr key={profile.name}>
                <td>
                  <strong>{profile.name}</strong>{' '}
                  {profile.builtIn && <span className="faint">· {t.admin.builtIn}</span>}
                </td>
                <td>
                  {profile.codec} (.{profile.suffix})
                </td>
                <td>
                  {profile.lossless
                    ? t.admin.lossless
                    : `${profile.defaultBitrate} (≤ ${profile.maxBitrate})`}
                </td>
                <td>
                  <code style={{ fontFamily: 'var(--mono)', fontSize: '0.8rem' }}>
                    {profile.arguments.join(' ')}
                  </code>
                </td>
                <td style={{ whiteSpace: 'nowrap' }}>
                  <button
                    type="button"
                    className="button small"
                    aria-label={`${profile.builtIn ? t.admin.copy : t.edit}: ${profile.name}`}
                    onClick={() => setEditing(profile)}
                  >
                    {profile.builtIn ? t.admin.copy : t.edit}
                  </button>{' '}
                  {!profile.builtIn && (
                    <DeleteButton
                      label={`${t.delete}: ${profile.name}`}
                      remove={() =>
                        api.DELETE('/api/v1/transcoding/profiles/{name}', {
                          params: { path: { name: profile.name } },
                        })
                      }
                      queryKey={['transcoding-profiles']}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </QueryState>
      {editing && (
        <ProfileForm
          profile={editing === 'new' ? profiles.data?.items[0] : editing}
          onClose={() => setEditing(undefined)}
        />
      )}
    </section>
  );
}

function SharesTab() {
  const shares = useQuery({
    queryKey: ['shares'],
    queryFn: async () => unwrap(await api.GET('/api/v1/shares')).items,
  });
  return (
    <section className="panel">
      <h2>{t.admin.shares}</h2>
      <QueryState query={shares} empty={shares.data?.length === 0 && t.none}>
        <table className="data">
          <tbody>
            {(shares.data ?? []).map((share) => (
              <tr key={share.id}>
                <td>
                  <a href={share.url}>{share.description || share.url}</a>
                </td>
                <td>{share.username}</td>
                <td>{share.expiresAt ? t.time.dateTime(share.expiresAt) : '—'}</td>
                <td>{share.visitCount}</td>
                <td>
                  <DeleteButton
                    remove={() => api.DELETE('/api/v1/shares/{id}', { params: { path: { id: share.id } } })}
                    queryKey={['shares']}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </QueryState>
    </section>
  );
}

function AuditTab() {
  const audit = useQuery({
    queryKey: ['audit'],
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/admin/audit', { params: { query: { limit: 200 } } })).items,
  });
  return (
    <section className="panel">
      <h2>{t.admin.audit}</h2>
      <QueryState query={audit} empty={audit.data?.length === 0 && t.none}>
        <table className="data">
          <tbody>
            {(audit.data ?? []).map((entry) => (
              <tr key={entry.id}>
                <td>{t.time.dateTime(entry.at)}</td>
                <td>{entry.event}</td>
                <td className={entry.outcome === 'failure' ? 'error-text' : undefined}>{entry.outcome}</td>
                <td>{(entry.user as { username?: string } | null)?.username ?? '—'}</td>
                <td className="faint">{entry.address}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </QueryState>
    </section>
  );
}

function ServerTab() {
  const client = useQueryClient();
  const facts = useQuery({
    queryKey: ['server-facts'],
    queryFn: async () => unwrap(await api.GET('/api/v1/admin/server')),
  });
  const settings = useQuery({
    queryKey: ['server-settings'],
    queryFn: async () => unwrap(await api.GET('/api/v1/admin/settings')),
  });
  const jobs = useQuery({
    queryKey: ['jobs'],
    queryFn: async () => unwrap(await api.GET('/api/v1/admin/jobs', { params: { query: { limit: 20 } } })),
  });
  return (
    <>
      <section className="panel">
        <h2>{t.admin.server}</h2>
        <QueryState query={facts}>
          {facts.data && (
            <table className="data">
              <tbody>
                <tr>
                  <th scope="row">{t.admin.version}</th>
                  <td>{facts.data.version}</td>
                </tr>
                <tr>
                  <th scope="row">Node.js</th>
                  <td>{facts.data.nodeVersion}</td>
                </tr>
                <tr>
                  <th scope="row">Data</th>
                  <td>{facts.data.dataFolder}</td>
                </tr>
                <tr>
                  <th scope="row">ffmpeg</th>
                  <td>{JSON.stringify(facts.data.ffmpeg)}</td>
                </tr>
              </tbody>
            </table>
          )}
        </QueryState>
      </section>
      <section className="panel">
        <h2>Subsonic</h2>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={settings.data?.passwordAuthEnabled ?? true}
            onChange={(event) =>
              api
                .PATCH('/api/v1/admin/settings', { body: { passwordAuthEnabled: event.target.checked } })
                .then(unwrap)
                .then((answer) => client.setQueryData(['server-settings'], answer), toastError)
            }
          />
          Password logins for Subsonic apps (off: API keys only)
        </label>
      </section>
      <section className="panel">
        <h2>Jobs</h2>
        <QueryState query={jobs} empty={jobs.data?.items.length === 0 && t.none}>
          <table className="data">
            <tbody>
              {(jobs.data?.items ?? []).map((job) => (
                <tr key={job.id}>
                  <td>{job.kind}</td>
                  <td>{job.state}</td>
                  <td>{t.time.dateTime(job.updatedAt)}</td>
                  <td className="error-text">{job.lastError ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </QueryState>
      </section>
    </>
  );
}
