// The album grid (sorted, filtered by genre, paged by cursor as it scrolls) and an album's page: its
// discs, credits, label and release, and everything that plays it.
import { useQuery } from '@tanstack/react-query';
import { useCallback } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { type Album, api, type Track, unwrap } from '../api/client.ts';
import { AlbumCard } from '../components/Cards.tsx';
import { Cover } from '../components/Cover.tsx';
import { Icon } from '../components/Icon.tsx';
import { Menu } from '../components/Menu.tsx';
import { addToPlaylist } from '../components/PlaylistPicker.tsx';
import { toast } from '../components/Toasts.tsx';
import { Rating, StarButton, TrackRows } from '../components/TrackTable.tsx';
import { t } from '../i18n/index.ts';
import { LoadMore, QueryState, usePaged } from '../lib/paged.tsx';
import { player } from '../player/index.ts';

const ALBUM_SORTS = [
  'name',
  'artist',
  'year',
  'recentlyAdded',
  'recentlyPlayed',
  'playCount',
  'starredAt',
  'rating',
  'random',
] as const;
type AlbumSort = (typeof ALBUM_SORTS)[number];

export function useGenres() {
  return useQuery({
    queryKey: ['genres'],
    queryFn: async () => unwrap(await api.GET('/api/v1/genres', { params: { query: { limit: 500 } } })).items,
    staleTime: 5 * 60_000,
  });
}

export function AlbumGrid({
  albums,
  hasMore,
  loadMore,
}: {
  albums: readonly Album[];
  hasMore: boolean;
  loadMore: () => void;
}) {
  return (
    <>
      <div className="grid" data-testid="album-grid">
        {albums.map((album) => (
          <AlbumCard key={album.id} album={album} />
        ))}
      </div>
      <LoadMore onVisible={loadMore} active={hasMore} />
    </>
  );
}

export function AlbumsPage() {
  const [params, setParams] = useSearchParams();
  const sort = (ALBUM_SORTS as readonly string[]).includes(params.get('sort') ?? '')
    ? (params.get('sort') as AlbumSort)
    : 'name';
  const order = params.get('order') === 'desc' ? 'desc' : params.get('order') === 'asc' ? 'asc' : undefined;
  const genre = params.get('genre') ?? undefined;
  const genres = useGenres();
  const albums = usePaged(['albums', sort, order, genre], async (cursor, signal) =>
    unwrap(
      await api.GET('/api/v1/albums', {
        params: {
          query: {
            sort,
            limit: 60,
            ...(order ? { order } : {}),
            ...(genre ? { genre } : {}),
            ...(cursor ? { cursor } : {}),
          },
        },
        signal,
      }),
    ),
  );
  const set = (key: string, value: string | undefined) =>
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  return (
    <div className="page">
      <h1>{t.nav.albums}</h1>
      <div className="toolbar">
        <label className="visually-hidden" htmlFor="album-sort">
          {t.library.sort}
        </label>
        <select
          id="album-sort"
          className="select"
          value={sort}
          onChange={(event) => set('sort', event.target.value)}
        >
          {ALBUM_SORTS.map((option) => (
            <option key={option} value={option}>
              {t.library.albumSorts[option]}
            </option>
          ))}
        </select>
        <label className="visually-hidden" htmlFor="album-order">
          {t.library.order}
        </label>
        <select
          id="album-order"
          className="select"
          value={order ?? ''}
          onChange={(event) => set('order', event.target.value || undefined)}
        >
          <option value="">—</option>
          <option value="asc">{t.library.ascending}</option>
          <option value="desc">{t.library.descending}</option>
        </select>
        <label className="visually-hidden" htmlFor="album-genre">
          {t.library.genre}
        </label>
        <select
          id="album-genre"
          className="select"
          value={genre ?? ''}
          onChange={(event) => set('genre', event.target.value || undefined)}
        >
          <option value="">{t.library.allGenres}</option>
          {(genres.data ?? []).map((each) => (
            <option key={each.name} value={each.name}>
              {each.name} ({each.albumCount})
            </option>
          ))}
        </select>
      </div>
      <QueryState
        query={albums}
        empty={albums.items.length === 0 && (genre ? t.library.noMatches : t.library.emptyLibrary)}
      >
        <AlbumGrid albums={albums.items} hasMore={albums.hasNextPage} loadMore={albums.loadMore} />
      </QueryState>
    </div>
  );
}

/** Who did what on the album, from its tracks' credits (producer, composer, …), each name once per role. */
function credits(tracks: readonly Track[]): [string, { id: string; name: string }[]][] {
  const byRole = new Map<string, Map<string, { id: string; name: string }>>();
  for (const track of tracks) {
    for (const credit of track.contributors) {
      const role = credit.subRole ? `${credit.role} (${credit.subRole})` : credit.role;
      const people = byRole.get(role) ?? new Map();
      people.set(credit.artist.id, credit.artist);
      byRole.set(role, people);
    }
  }
  return [...byRole].map(([role, people]) => [role, [...people.values()]]);
}

export function AlbumPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const album = useQuery({
    queryKey: ['album', id],
    queryFn: async () => unwrap(await api.GET('/api/v1/albums/{id}', { params: { path: { id } } })),
  });
  const play = useCallback(
    (index: number) => album.data && player.play(album.data.tracks, index),
    [album.data],
  );
  return (
    <div className="page">
      <QueryState query={album}>
        {album.data && (
          <>
            <header className="hero">
              <Cover id={album.data.coverArtId} size={232} />
              <div>
                <div className="kind">
                  {album.data.compilation
                    ? t.library.compilation
                    : (album.data.releaseTypes[0] ?? t.library.album)}
                </div>
                <h1>
                  {album.data.name}
                  {album.data.version && <span className="muted"> ({album.data.version})</span>}
                </h1>
                <div className="facts">
                  {album.data.artists.map((artist, i) => (
                    <span key={artist.id}>
                      {i > 0 && ', '}
                      <Link to={`/artists/${artist.id}`}>{artist.name}</Link>
                    </span>
                  ))}
                  {album.data.year && ` · ${album.data.year}`} · {t.library.songs(album.data.trackCount)} ·{' '}
                  {t.time.longDuration(album.data.duration)}
                </div>
              </div>
            </header>
            <div className="actions">
              <button
                type="button"
                className="icon-button big-play"
                aria-label={`${t.actions.play}: ${album.data.name}`}
                onClick={() => play(0)}
              >
                <Icon name="play" />
              </button>
              <button
                type="button"
                className="button"
                onClick={() => album.data && player.play(album.data.tracks, 0, { shuffle: true })}
              >
                <Icon name="shuffle" />
                {t.actions.shuffle}
              </button>
              <StarButton id={album.data.id} starredAt={album.data.starredAt} label={album.data.name} />
              <Rating id={album.data.id} rating={album.data.rating} label={album.data.name} />
              <Menu
                label={t.more}
                items={() => [
                  {
                    label: t.actions.playNext,
                    icon: 'next',
                    onSelect: () => player.playNext(album.data.tracks),
                  },
                  {
                    label: t.actions.addToQueue,
                    icon: 'queue',
                    onSelect: () => {
                      player.add(album.data.tracks);
                      toast(t.actions.added(album.data.tracks.length));
                    },
                  },
                  {
                    label: t.actions.addToPlaylist,
                    icon: 'playlist',
                    onSelect: () => addToPlaylist(album.data.tracks.map((track) => track.id)),
                  },
                  {
                    label: t.actions.goToArtist,
                    icon: 'artist',
                    onSelect: () => navigate(`/artists/${album.data.artistId}`),
                  },
                ]}
              />
            </div>
            {album.data.discs.map((disc) => {
              const tracks = album.data.tracks.filter((track) => track.discNumber === disc.number);
              const offset = album.data.tracks.indexOf(tracks[0]!);
              const label =
                album.data.discs.length > 1
                  ? `${t.library.disc(disc.number)}${disc.title ? ` · ${disc.title}` : ''}`
                  : album.data.name;
              return (
                <section key={disc.number}>
                  {album.data.discs.length > 1 && <h2 className="disc-title">{label}</h2>}
                  <TrackRows
                    tracks={tracks}
                    label={label}
                    offset={offset}
                    options={{
                      numbering: 'track',
                      showAlbum: false,
                      extraItems: (track) => lyricsItem(track, navigate),
                    }}
                    onPlay={play}
                    navigate={navigate}
                  />
                </section>
              );
            })}
            <AlbumFacts album={album.data} />
          </>
        )}
      </QueryState>
    </div>
  );
}

function lyricsItem(track: { id: string; hasLyrics?: boolean }, navigate: (to: string) => void) {
  return track.hasLyrics
    ? [{ label: t.player.lyrics, icon: 'lyrics' as const, onSelect: () => navigate(`/lyrics/${track.id}`) }]
    : [];
}

function AlbumFacts({
  album,
}: {
  album: {
    tracks: Track[];
    recordLabels: string[];
    releaseDate: string | null;
    originalDate: string | null;
    date: string | null;
    genres: string[];
  };
}) {
  const people = credits(album.tracks);
  const released = album.releaseDate ?? album.date;
  return (
    <section className="panel" style={{ marginTop: '2rem' }}>
      {released && (
        <p>
          <strong>{t.library.released}:</strong> {released}
          {album.originalDate && album.originalDate !== released && ` (${album.originalDate})`}
        </p>
      )}
      {album.recordLabels.length > 0 && (
        <p>
          <strong>{t.library.label}:</strong> {album.recordLabels.join(', ')}
        </p>
      )}
      {album.genres.length > 0 && (
        <div className="chips" style={{ marginBottom: '0.8rem' }}>
          {album.genres.map((genre) => (
            <Link key={genre} className="chip" to={`/albums?genre=${encodeURIComponent(genre)}`}>
              {genre}
            </Link>
          ))}
        </div>
      )}
      {people.length > 0 && (
        <>
          <h2>{t.library.credits}</h2>
          <dl>
            {people.map(([role, artists]) => (
              <div key={role} style={{ display: 'flex', gap: '0.5rem', marginBottom: '0.3rem' }}>
                <dt className="muted" style={{ textTransform: 'capitalize', minWidth: '9rem' }}>
                  {role}
                </dt>
                <dd style={{ margin: 0 }}>
                  {artists.map((artist, i) => (
                    <span key={artist.id}>
                      {i > 0 && ', '}
                      <Link to={`/artists/${artist.id}`}>{artist.name}</Link>
                    </span>
                  ))}
                </dd>
              </div>
            ))}
          </dl>
        </>
      )}
    </section>
  );
}
