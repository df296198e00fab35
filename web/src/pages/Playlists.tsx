// Playlists: the caller's and everyone's public ones; create, import an M3U file; a playlist's page to
// play, rename, describe, make public, reorder, remove entries, export as M3U, or delete.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, apiPath, type QueueTrack, unwrap } from '../api/client.ts';
import { useUser } from '../api/session.ts';
import { TracksCard } from '../components/Cards.tsx';
import { Cover } from '../components/Cover.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { Icon } from '../components/Icon.tsx';
import { usePlaylists } from '../components/PlaylistPicker.tsx';
import { toast, toastError } from '../components/Toasts.tsx';
import { TrackTable } from '../components/TrackTable.tsx';
import { t } from '../i18n/index.ts';
import { QueryState, usePaged } from '../lib/paged.tsx';
import { player } from '../player/index.ts';
import { TextField } from '../components/Field.tsx';

async function playlistTracks(id: string): Promise<QueueTrack[]> {
  const tracks: QueueTrack[] = [];
  let cursor: string | undefined;
  do {
    const page = unwrap(
      await api.GET('/api/v1/playlists/{id}/tracks', {
        params: { path: { id }, query: { limit: 500, ...(cursor ? { cursor } : {}) } },
      }),
    );
    tracks.push(...page.items.map((entry) => entry.track));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && tracks.length < 10_000);
  return tracks;
}

function PlaylistForm({
  initial,
  title,
  onClose,
  onSave,
}: {
  initial: { name: string; comment: string; public: boolean };
  title: string;
  onClose: () => void;
  onSave: (values: { name: string; comment: string; public: boolean }) => Promise<void>;
}) {
  const [values, setValues] = useState(initial);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title={title} onClose={onClose}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          onSave({ ...values, name: values.name.trim() })
            .then(onClose, toastError)
            .finally(() => setBusy(false));
        }}
      >
        <TextField
          id="playlist-name"
          label={t.playlists.name}
          required
          maxLength={200}
          value={values.name}
          onChange={(event) => setValues({ ...values, name: event.target.value })}
        />
        <div className="field">
          <label htmlFor="playlist-comment">{t.playlists.comment}</label>
          <textarea
            id="playlist-comment"
            className="input"
            rows={3}
            value={values.comment}
            onChange={(event) => setValues({ ...values, comment: event.target.value })}
          />
        </div>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={values.public}
            onChange={(event) => setValues({ ...values, public: event.target.checked })}
          />
          {t.playlists.public}
        </label>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            {t.cancel}
          </button>
          <button type="submit" className="button primary" disabled={busy || !values.name.trim()}>
            {t.save}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function PlaylistsPage() {
  const playlists = usePlaylists();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  const importFile = async (file: File) => {
    try {
      const result = unwrap(
        await api.POST('/api/v1/playlists/import', {
          params: { query: { name: file.name.replace(/\.m3u8?$/i, '') } },
          body: (await file.text()) as never,
          bodySerializer: (body: unknown) => body as string,
          headers: { 'Content-Type': 'audio/x-mpegurl' },
        }),
      );
      toast(t.playlists.imported(result.playlist.name, result.unmatchedCount));
      void client.invalidateQueries({ queryKey: ['playlists'] });
      navigate(`/playlists/${result.playlist.id}`);
    } catch (error) {
      toastError(error);
    }
  };

  return (
    <div className="page">
      <h1>{t.playlists.title}</h1>
      <div className="toolbar">
        <button type="button" className="button primary" onClick={() => setCreating(true)}>
          <Icon name="add" />
          {t.playlists.create}
        </button>
        <button type="button" className="button" onClick={() => fileInput.current?.click()}>
          <Icon name="upload" />
          {t.playlists.import}
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".m3u,.m3u8,audio/x-mpegurl"
          hidden
          aria-label={t.playlists.import}
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file) void importFile(file);
            event.target.value = '';
          }}
        />
      </div>
      <QueryState query={playlists} empty={playlists.data?.length === 0 && t.playlists.empty}>
        <div className="grid">
          {(playlists.data ?? []).map((playlist) => (
            <TracksCard
              key={playlist.id}
              title={playlist.name}
              subtitle={`${t.playlists.by(playlist.owner.username)} · ${t.library.songs(playlist.songCount)}`}
              to={`/playlists/${playlist.id}`}
              coverArtId={playlist.coverArtId}
              tracks={() => playlistTracks(playlist.id)}
            />
          ))}
        </div>
      </QueryState>
      {creating && (
        <PlaylistForm
          title={t.playlists.create}
          initial={{ name: '', comment: '', public: false }}
          onClose={() => setCreating(false)}
          onSave={async (values) => {
            const created = unwrap(await api.POST('/api/v1/playlists', { body: values }));
            void client.invalidateQueries({ queryKey: ['playlists'] });
            navigate(`/playlists/${created.id}`);
          }}
        />
      )}
    </div>
  );
}

export function PlaylistPage() {
  const { id = '' } = useParams();
  const user = useUser();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const playlist = useQuery({
    queryKey: ['playlist', id],
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/playlists/{id}', { params: { path: { id }, query: { limit: 1 } } })),
  });
  const entries = usePaged(['playlist', id, 'entries'], async (cursor, signal) =>
    unwrap(
      await api.GET('/api/v1/playlists/{id}/tracks', {
        params: { path: { id }, query: { limit: 500, ...(cursor ? { cursor } : {}) } },
        signal,
      }),
    ),
  );
  const tracks = entries.items.map((entry) => entry.track);
  const editable =
    playlist.data !== undefined && playlist.data.owner.id === user.id && !playlist.data.readonly;
  /** The whole playlist, not only the entries on screen so far. */
  const playAll = (shuffle: boolean, from = 0) => {
    const all =
      playlist.data && tracks.length < playlist.data.songCount ? playlistTracks(id) : Promise.resolve(tracks);
    all.then((list) => player.play(list, from, { shuffle }), toastError);
  };
  // Entries are edited by position: not while the list is being fetched again after another edit.
  const busy = entries.isFetching || playlist.isFetching;
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ['playlist', id] });
    void client.invalidateQueries({ queryKey: ['playlists'] });
  };
  const move = async (from: number, to: number) => {
    if (to < 0 || to >= (playlist.data?.songCount ?? 0)) return;
    try {
      unwrap(
        await api.POST('/api/v1/playlists/{id}/tracks/move', {
          params: { path: { id } },
          body: { from, to },
        }),
      );
      refresh();
    } catch (error) {
      toastError(error);
    }
  };
  const remove = async (position: number) => {
    try {
      unwrap(
        await api.DELETE('/api/v1/playlists/{id}/tracks', {
          params: { path: { id }, query: { positions: String(position) } },
        }),
      );
      refresh();
    } catch (error) {
      toastError(error);
    }
  };

  return (
    <div className="page">
      <QueryState query={playlist}>
        {playlist.data && (
          <>
            <header className="hero">
              <Cover id={playlist.data.coverArtId} size={232} fallback="playlist" />
              <div>
                <div className="kind">{t.playlists.title}</div>
                <h1>{playlist.data.name}</h1>
                {playlist.data.comment && <p className="muted">{playlist.data.comment}</p>}
                <div className="facts">
                  {t.playlists.by(playlist.data.owner.username)} · {t.library.songs(playlist.data.songCount)}{' '}
                  · {t.time.longDuration(playlist.data.duration)}
                </div>
              </div>
            </header>
            <div className="actions">
              <button
                type="button"
                className="icon-button big-play"
                aria-label={`${t.actions.play}: ${playlist.data.name}`}
                disabled={tracks.length === 0}
                onClick={() => playAll(false)}
              >
                <Icon name="play" />
              </button>
              <button
                type="button"
                className="button"
                disabled={tracks.length === 0}
                onClick={() => playAll(true)}
              >
                <Icon name="shuffle" />
                {t.actions.shuffle}
              </button>
              {editable && (
                <button type="button" className="button" onClick={() => setEditing(true)}>
                  {t.edit}
                </button>
              )}
              <a
                className="button"
                href={apiPath(`/playlists/${encodeURIComponent(id)}/m3u`)}
                download={`${playlist.data.name}.m3u8`}
              >
                <Icon name="download" />
                {t.playlists.export}
              </a>
              {editable && (
                <button type="button" className="button danger" onClick={() => setDeleting(true)}>
                  {t.delete}
                </button>
              )}
            </div>
            {tracks.length === 0 && !entries.isPending ? (
              <p className="empty">{t.playlists.emptyPlaylist}</p>
            ) : (
              <TrackTable
                tracks={tracks}
                label={playlist.data.name}
                options={{
                  numbering: 'position',
                  showCover: true,
                  extraItems: editable
                    ? (_track, index) => [
                        { separator: true },
                        {
                          label: t.player.moveUp,
                          disabled: busy,
                          onSelect: () => void move(index, index - 1),
                        },
                        {
                          label: t.player.moveDown,
                          disabled: busy,
                          onSelect: () => void move(index, index + 1),
                        },
                        {
                          label: t.playlists.removeEntry,
                          icon: 'close',
                          disabled: busy,
                          onSelect: () => void remove(index),
                        },
                      ]
                    : undefined,
                }}
                onPlay={(index) => playAll(false, index)}
                navigate={navigate}
                hasMore={entries.hasNextPage}
                onNearEnd={entries.loadMore}
              />
            )}
            {editing && (
              <PlaylistForm
                title={t.edit}
                initial={{
                  name: playlist.data.name,
                  comment: playlist.data.comment,
                  public: playlist.data.public,
                }}
                onClose={() => setEditing(false)}
                onSave={async (values) => {
                  unwrap(
                    await api.PATCH('/api/v1/playlists/{id}', { params: { path: { id } }, body: values }),
                  );
                  refresh();
                }}
              />
            )}
            {deleting && (
              <Dialog title={t.delete} onClose={() => setDeleting(false)}>
                <p>{t.playlists.deleteConfirm(playlist.data.name)}</p>
                <div className="dialog-actions">
                  <button type="button" className="button" onClick={() => setDeleting(false)}>
                    {t.cancel}
                  </button>
                  <button
                    type="button"
                    className="button primary"
                    onClick={async () => {
                      try {
                        unwrap(await api.DELETE('/api/v1/playlists/{id}', { params: { path: { id } } }));
                        client.removeQueries({ queryKey: ['playlist', id] });
                        void client.invalidateQueries({ queryKey: ['playlists'] });
                        navigate('/playlists');
                      } catch (error) {
                        toastError(error);
                      }
                    }}
                  >
                    {t.delete}
                  </button>
                </div>
              </Dialog>
            )}
          </>
        )}
      </QueryState>
    </div>
  );
}
