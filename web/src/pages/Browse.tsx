// Genres (each opens its albums and songs) and the folders of the libraries as they are on disk.
import { useNavigate, useParams } from 'react-router';
import { Link } from 'react-router';
import { api, type QueueTrack, unwrap } from '../api/client.ts';
import { Icon } from '../components/Icon.tsx';
import { TrackRows } from '../components/TrackTable.tsx';
import { t } from '../i18n/index.ts';
import { LoadMore, QueryState, usePaged } from '../lib/paged.tsx';
import { player } from '../player/index.ts';
import { useQuery } from '@tanstack/react-query';

export function GenresPage() {
  const genres = usePaged(['genres', 'all'], async (cursor, signal) =>
    unwrap(
      await api.GET('/api/v1/genres', {
        params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } },
        signal,
      }),
    ),
  );
  return (
    <div className="page">
      <h1>{t.nav.genres}</h1>
      <QueryState query={genres} empty={genres.items.length === 0 && t.library.emptyLibrary}>
        <div className="grid">
          {genres.items.map((genre) => (
            <div key={genre.name} className="card panel" style={{ marginBottom: 0 }}>
              <Link className="card-link title" to={`/albums?genre=${encodeURIComponent(genre.name)}`}>
                {genre.name}
              </Link>
              <span className="subtitle">
                {t.library.albums(genre.albumCount)} · {t.library.songs(genre.trackCount)}
              </span>
            </div>
          ))}
        </div>
        <LoadMore onVisible={genres.loadMore} active={genres.hasNextPage} />
      </QueryState>
    </div>
  );
}

export function FoldersPage() {
  const { id } = useParams();
  return id ? <FolderPage id={id} /> : <FolderRoots />;
}

function FolderRoots() {
  const roots = useQuery({
    queryKey: ['folders'],
    queryFn: async () => unwrap(await api.GET('/api/v1/folders')).items,
  });
  return (
    <div className="page">
      <h1>{t.nav.folders}</h1>
      <QueryState query={roots} empty={roots.data?.length === 0 && t.library.emptyLibrary}>
        <ul className="queue-list" style={{ padding: 0 }}>
          {(roots.data ?? []).map((folder) => (
            <li key={folder.id}>
              <Link className="nav-link" to={`/folders/${folder.id}`}>
                <Icon name="folder" />
                {folder.name}
              </Link>
            </li>
          ))}
        </ul>
      </QueryState>
    </div>
  );
}

function FolderPage({ id }: { id: string }) {
  const navigate = useNavigate();
  const page = usePaged(['folder', id], async (cursor, signal) =>
    unwrap(
      await api.GET('/api/v1/folders/{id}', {
        params: { path: { id }, query: { limit: 500, ...(cursor ? { cursor } : {}) } },
        signal,
      }),
    ),
  );
  const first = page.data?.pages[0] as { folder: { name: string; parentId: string | null } } | undefined;
  const folders = page.items.flatMap((item) => (item.kind === 'folder' ? [item.folder] : []));
  const tracks: QueueTrack[] = page.items.flatMap((item) => (item.kind === 'track' ? [item.track] : []));
  return (
    <div className="page">
      <QueryState query={page}>
        <h1>
          <Icon name="folder" /> {first?.folder.name}
        </h1>
        <div className="toolbar">
          <Link
            className="button small"
            to={first?.folder.parentId ? `/folders/${first.folder.parentId}` : '/folders'}
          >
            {t.library.folderUp}
          </Link>
          {tracks.length > 0 && (
            <button type="button" className="button small primary" onClick={() => player.play(tracks)}>
              <Icon name="play" />
              {t.actions.play}
            </button>
          )}
        </div>
        <ul className="queue-list" style={{ padding: 0 }}>
          {folders.map((folder) => (
            <li key={folder.id}>
              <Link className="nav-link" to={`/folders/${folder.id}`}>
                <Icon name="folder" />
                {folder.name}
              </Link>
            </li>
          ))}
        </ul>
        {tracks.length > 0 && (
          <TrackRows
            tracks={tracks}
            label={first?.folder.name ?? t.nav.folders}
            options={{ numbering: 'track' }}
            onPlay={(index) => player.play(tracks, index)}
            navigate={navigate}
          />
        )}
        <LoadMore onVisible={page.loadMore} active={page.hasNextPage} />
      </QueryState>
    </div>
  );
}
