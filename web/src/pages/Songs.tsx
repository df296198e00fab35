// Every song (a virtualised table, paged by cursor, 500 rows a page) and the starred songs, albums and
// artists.
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { ArtistCard } from '../components/Cards.tsx';
import { Icon } from '../components/Icon.tsx';
import { TrackTable } from '../components/TrackTable.tsx';
import { t } from '../i18n/index.ts';
import { QueryState, usePaged } from '../lib/paged.tsx';
import { player } from '../player/index.ts';
import { AlbumGrid } from './Albums.tsx';

const TRACK_SORTS = ['title', 'artist', 'album', 'year', 'recentlyAdded', 'playCount', 'duration'] as const;
type TrackSort = (typeof TRACK_SORTS)[number];
const PAGE = 500;

export function SongsPage() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const sort = (TRACK_SORTS as readonly string[]).includes(params.get('sort') ?? '')
    ? (params.get('sort') as TrackSort)
    : 'title';
  const genre = params.get('genre') ?? undefined;
  const tracks = usePaged(['tracks', sort, genre], async (cursor, signal) =>
    unwrap(
      await api.GET('/api/v1/tracks', {
        params: { query: { sort, limit: PAGE, ...(genre ? { genre } : {}), ...(cursor ? { cursor } : {}) } },
        signal,
      }),
    ),
  );
  return (
    <div className="page">
      <h1>{genre ? `${t.nav.songs}: ${genre}` : t.nav.songs}</h1>
      <div className="toolbar">
        <button
          type="button"
          className="button primary"
          disabled={tracks.items.length === 0}
          onClick={() => player.play(tracks.items, 0, { shuffle: true })}
        >
          <Icon name="shuffle" />
          {t.actions.shuffle}
        </button>
        <label className="visually-hidden" htmlFor="track-sort">
          {t.library.sort}
        </label>
        <select
          id="track-sort"
          className="select"
          value={sort}
          onChange={(event) =>
            setParams({ sort: event.target.value, ...(genre ? { genre } : {}) }, { replace: true })
          }
        >
          {TRACK_SORTS.map((option) => (
            <option key={option} value={option}>
              {t.library.trackSorts[option]}
            </option>
          ))}
        </select>
      </div>
      <QueryState query={tracks} empty={tracks.items.length === 0 && t.library.emptyLibrary}>
        <TrackTable
          tracks={tracks.items}
          label={t.nav.songs}
          options={{ numbering: 'position', showCover: true }}
          onPlay={(index) => player.play(tracks.items, index)}
          navigate={navigate}
          hasMore={tracks.hasNextPage}
          onNearEnd={tracks.loadMore}
        />
      </QueryState>
    </div>
  );
}

export function StarredPage() {
  const navigate = useNavigate();
  const tracks = usePaged(['starred', 'tracks'], async (cursor, signal) =>
    unwrap(
      await api.GET('/api/v1/starred/tracks', {
        params: { query: { limit: PAGE, ...(cursor ? { cursor } : {}) } },
        signal,
      }),
    ),
  );
  const albums = usePaged(['starred', 'albums'], async (cursor, signal) =>
    unwrap(
      await api.GET('/api/v1/starred/albums', {
        params: { query: { limit: 60, ...(cursor ? { cursor } : {}) } },
        signal,
      }),
    ),
  );
  const artists = useQuery({
    queryKey: ['starred', 'artists'],
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/starred/artists', { params: { query: { limit: 100 } } })).items,
  });
  return (
    <div className="page">
      <h1>{t.nav.starred}</h1>
      {(artists.data ?? []).length > 0 && (
        <section className="shelf">
          <h2>{t.nav.artists}</h2>
          <div className="shelf-row">
            {artists.data!.map((artist) => (
              <ArtistCard key={artist.id} artist={artist} />
            ))}
          </div>
        </section>
      )}
      {albums.items.length > 0 && (
        <section className="shelf">
          <h2>{t.nav.albums}</h2>
          <AlbumGrid albums={albums.items as never} hasMore={albums.hasNextPage} loadMore={albums.loadMore} />
        </section>
      )}
      <section className="shelf">
        <h2>{t.nav.songs}</h2>
        <QueryState query={tracks} empty={tracks.items.length === 0 && t.library.noMatches}>
          <TrackTable
            tracks={tracks.items}
            label={t.nav.starred}
            options={{ numbering: 'position', showCover: true }}
            onPlay={(index) => player.play(tracks.items, index)}
            navigate={navigate}
            hasMore={tracks.hasNextPage}
            onNearEnd={tracks.loadMore}
          />
        </QueryState>
      </section>
    </div>
  );
}
