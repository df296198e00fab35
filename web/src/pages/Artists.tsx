// Artists (sorted, paged as it scrolls) and an artist's page: popular tracks, the discography, artists
// its listeners also play, and Follow (starring an artist follows it: its new albums become notifications).
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { useNavigate, useParams } from 'react-router';
import { useAnnotations, useStarredAt } from '../api/annotations.ts';
import { api, unwrap } from '../api/client.ts';
import { artistTracks, ArtistCard } from '../components/Cards.tsx';
import { Cover } from '../components/Cover.tsx';
import { Icon } from '../components/Icon.tsx';
import { toastError } from '../components/Toasts.tsx';
import { Rating, TrackRows } from '../components/TrackTable.tsx';
import { t } from '../i18n/index.ts';
import { LoadMore, QueryState, usePaged } from '../lib/paged.tsx';
import { player } from '../player/index.ts';
import { AlbumGrid } from './Albums.tsx';

const ARTIST_SORTS = ['name', 'albumCount', 'playCount', 'recentlyAdded', 'lastPlayed', 'starredAt'] as const;
type ArtistSort = (typeof ARTIST_SORTS)[number];
const SORT_LABELS: Record<ArtistSort, string> = {
  name: t.library.artistSorts.name!,
  albumCount: t.library.artistSorts.albumCount!,
  playCount: t.library.artistSorts.playCount!,
  recentlyAdded: t.library.albumSorts.recentlyAdded!,
  lastPlayed: t.library.artistSorts.recentlyPlayed!,
  starredAt: t.library.artistSorts.starredAt!,
};

export function ArtistsPage() {
  const [params, setParams] = useSearchParams();
  const sort = (ARTIST_SORTS as readonly string[]).includes(params.get('sort') ?? '')
    ? (params.get('sort') as ArtistSort)
    : 'name';
  const artists = usePaged(['artists', sort], async (cursor, signal) =>
    unwrap(
      await api.GET('/api/v1/artists', {
        params: { query: { sort, limit: 60, ...(cursor ? { cursor } : {}) } },
        signal,
      }),
    ),
  );
  return (
    <div className="page">
      <h1>{t.nav.artists}</h1>
      <div className="toolbar">
        <label className="visually-hidden" htmlFor="artist-sort">
          {t.library.sort}
        </label>
        <select
          id="artist-sort"
          className="select"
          value={sort}
          onChange={(event) => setParams({ sort: event.target.value }, { replace: true })}
        >
          {ARTIST_SORTS.map((option) => (
            <option key={option} value={option}>
              {SORT_LABELS[option]}
            </option>
          ))}
        </select>
      </div>
      <QueryState query={artists} empty={artists.items.length === 0 && t.library.emptyLibrary}>
        <div className="grid">
          {artists.items.map((artist) => (
            <ArtistCard key={artist.id} artist={artist} />
          ))}
        </div>
        <LoadMore onVisible={artists.loadMore} active={artists.hasNextPage} />
      </QueryState>
    </div>
  );
}

function FollowButton({ id, starredAt, name }: { id: string; starredAt: string | null; name: string }) {
  const current = useStarredAt(id, starredAt);
  const { setStar } = useAnnotations();
  const following = current !== null;
  return (
    <button
      type="button"
      className={`button${following ? '' : ' primary'}`}
      aria-pressed={following}
      aria-label={`${following ? t.actions.unfollow : t.actions.follow}: ${name}`}
      onClick={() => setStar(id, !following).catch(toastError)}
    >
      {following && <Icon name="check" />}
      {following ? t.actions.unfollow : t.actions.follow}
    </button>
  );
}

export function ArtistPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const artist = useQuery({
    queryKey: ['artist', id],
    queryFn: async () => unwrap(await api.GET('/api/v1/artists/{id}', { params: { path: { id } } })),
  });
  const top = useQuery({
    queryKey: ['artist', id, 'top'],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/v1/artists/{id}/top-tracks', { params: { path: { id }, query: { limit: 10 } } }),
      ).items,
  });
  const similar = useQuery({
    queryKey: ['artist', id, 'similar'],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/v1/artists/{id}/similar', { params: { path: { id }, query: { limit: 12 } } }),
      ).items,
  });
  const albums = usePaged(['artist', id, 'albums'], async (cursor, signal) =>
    unwrap(
      await api.GET('/api/v1/artists/{id}/albums', {
        params: {
          path: { id },
          query: { sort: 'year', order: 'desc', limit: 60, ...(cursor ? { cursor } : {}) },
        },
        signal,
      }),
    ),
  );
  const topTracks = top.data ?? [];
  return (
    <div className="page">
      <QueryState query={artist}>
        {artist.data && (
          <>
            <header className="hero">
              <Cover id={artist.data.coverArtId} size={232} round fallback="artist" />
              <div>
                <div className="kind">{t.nav.artists}</div>
                <h1>{artist.data.name}</h1>
                <div className="facts">
                  {t.library.albums(artist.data.albumCount)} · {t.library.songs(artist.data.trackCount)}
                </div>
              </div>
            </header>
            <div className="actions">
              <button
                type="button"
                className="icon-button big-play"
                aria-label={`${t.actions.play}: ${artist.data.name}`}
                onClick={() => artistTracks(id).then((tracks) => player.play(tracks), toastError)}
              >
                <Icon name="play" />
              </button>
              <button
                type="button"
                className="button"
                onClick={() =>
                  artistTracks(id).then((tracks) => player.play(tracks, 0, { shuffle: true }), toastError)
                }
              >
                <Icon name="shuffle" />
                {t.actions.shuffle}
              </button>
              <FollowButton id={artist.data.id} starredAt={artist.data.starredAt} name={artist.data.name} />
              <Rating id={artist.data.id} rating={artist.data.rating} label={artist.data.name} />
            </div>
            {topTracks.length > 0 && (
              <section className="shelf">
                <h2>{t.library.topTracks}</h2>
                <TrackRows
                  tracks={topTracks}
                  label={t.library.topTracks}
                  options={{ numbering: 'position', showCover: true }}
                  onPlay={(index) => player.play(topTracks, index)}
                  navigate={navigate}
                />
              </section>
            )}
            <section className="shelf">
              <h2>{t.library.discography}</h2>
              <AlbumGrid albums={albums.items} hasMore={albums.hasNextPage} loadMore={albums.loadMore} />
            </section>
            {(similar.data ?? []).length > 0 && (
              <section className="shelf">
                <h2>{t.library.similarArtists}</h2>
                <div className="shelf-row">
                  {similar.data!.map((each) => (
                    <ArtistCard key={each.id} artist={each} />
                  ))}
                </div>
              </section>
            )}
          </>
        )}
      </QueryState>
    </div>
  );
}
