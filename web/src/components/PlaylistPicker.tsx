// "Add to playlist": one dialog for the whole app, opened from any track, album or queue menu.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api/client.ts';
import { useUser } from '../api/session.ts';
import { t } from '../i18n/index.ts';
import { Store, useStore } from '../lib/store.ts';
import { Dialog } from './Dialog.tsx';
import { toast, toastError } from './Toasts.tsx';

const picker = new Store<{ trackIds: string[] | undefined }>({ trackIds: undefined });

export function addToPlaylist(trackIds: string[]): void {
  if (trackIds.length > 0) picker.set({ trackIds });
}

export function usePlaylists() {
  return useQuery({
    queryKey: ['playlists'],
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/playlists', { params: { query: { limit: 500 } } })).items,
  });
}

export function PlaylistPicker() {
  const trackIds = useStore(picker, (state) => state.trackIds);
  if (!trackIds) return null;
  return <PickerDialog trackIds={trackIds} onClose={() => picker.set({ trackIds: undefined })} />;
}

function PickerDialog({ trackIds, onClose }: { trackIds: string[]; onClose: () => void }) {
  const user = useUser();
  const client = useQueryClient();
  const playlists = usePlaylists();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const mine = (playlists.data ?? []).filter(
    (playlist) => playlist.owner.id === user.id && !playlist.readonly,
  );

  const add = async (id: string, playlistName: string) => {
    setBusy(true);
    try {
      for (let i = 0; i < trackIds.length; i += 5000) {
        unwrap(
          await api.POST('/api/v1/playlists/{id}/tracks', {
            params: { path: { id } },
            body: { trackIds: trackIds.slice(i, i + 5000) },
          }),
        );
      }
      toast(t.actions.addedToPlaylist(playlistName));
      void client.invalidateQueries({ queryKey: ['playlists'] });
      void client.invalidateQueries({ queryKey: ['playlist', id] });
      onClose();
    } catch (error) {
      toastError(error);
    } finally {
      setBusy(false);
    }
  };

  const create = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    try {
      const created = unwrap(await api.POST('/api/v1/playlists', { body: { name: name.trim() } }));
      await add(created.id, created.name);
    } catch (error) {
      toastError(error);
      setBusy(false);
    }
  };

  return (
    <Dialog title={t.actions.addToPlaylist} onClose={onClose}>
      <div
        className="menu"
        style={{ position: 'static', boxShadow: 'none', maxWidth: 'none', marginBottom: '1rem' }}
      >
        {mine.length === 0 && <p className="muted">{t.playlists.empty}</p>}
        {mine.map((playlist) => (
          <button
            key={playlist.id}
            type="button"
            role="menuitem"
            disabled={busy}
            onClick={() => void add(playlist.id, playlist.name)}
          >
            {playlist.name}
            <span className="faint" style={{ marginLeft: 'auto' }}>
              {t.library.songs(playlist.songCount)}
            </span>
          </button>
        ))}
      </div>
      <form onSubmit={create} className="toolbar">
        <label className="visually-hidden" htmlFor="new-playlist-name">
          {t.playlists.name}
        </label>
        <input
          id="new-playlist-name"
          className="input"
          style={{ flex: 1 }}
          placeholder={t.actions.newPlaylist}
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <button type="submit" className="button primary" disabled={busy || !name.trim()}>
          {t.create}
        </button>
      </form>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          {t.cancel}
        </button>
      </div>
    </Dialog>
  );
}
