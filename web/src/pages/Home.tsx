// Home: a greeting, then shelves as a streaming service has them: daily mixes, recently played, the
// recommendation shelves (each with why it is there), recently added, trending on this server.
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { type Album, api, type QueueTrack, unwrap } from '../api/client.ts';
import { useUser } from '../api/session.ts';
import { AlbumCard, ArtistCard, TracksCard } from '../components/Cards.tsx';
import { Cover } from '../components/Cover.tsx';
import { Icon } from '../components/Icon.tsx';
import { t } from '../i18n/index.ts';
import { player } from '../player/index.ts';

function Shelf({
  title,
  reason,
  more,
  children,
}: {
  title: string;
  reason?: string;
  more?: string;
  children: ReactNode;
}) {
  return (
    <section className="shelf">
      <div className="shelf-header">
        <h2>{title}</h2>
        {reason && <span className="reason">{reason}</span>}
        {more && (
          <Link
            to={more}
            className="muted"
            style={{ marginLeft: 'auto', fontWeight: 600, fontSize: '0.9rem' }}
          >
            {t.showAll}
          </Link>
        )}
      </div>
      <div className="shelf-row">{children}</div>
    </section>
  );
}

function useAlbums(sort: 'recentlyAdded' | 'recentlyPlayed') {
  return useQuery({
    queryKey: ['albums', sort, 'home'],
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/albums', { params: { query: { sort, limit: 16 } } })).items,
  });
}

function TrackShelfCard({
  track,
  tracks,
  index,
}: {
  track: QueueTrack;
  tracks: readonly QueueTrack[];
  index: number;
}) {
  return (
    <div className="card">
      <Cover id={track.coverArtId} size={180} />
      <button
        type="button"
        className="card-link title"
        style={{
          background: 'none',
          border: 'none',
          padding: 0,
          textAlign: 'left',
          cursor: 'pointer',
          width: '100%',
        }}
        onClick={() => player.play(tracks, index)}
      >
        {track.title}
      </button>
      <span className="subtitle">{track.artistName}</span>
      <button
        type="button"
        className="icon-button big-play card-play"
        aria-label={`${t.actions.play}: ${track.title}`}
        onClick={() => player.play(tracks, index)}
      >
        <Icon name="play" />
      </button>
    </div>
  );
}

export function HomePage() {
  const user = useUser();
  const navigate = useNavigate();
  const recentlyAdded = useAlbums('recentlyAdded');
  const recentlyPlayed = useAlbums('recentlyPlayed');
  const mixes = useQuery({
    queryKey: ['mixes'],
    queryFn: async () => unwrap(await api.GET('/api/v1/me/mixes')).mixes,
  });
  const shelves = useQuery({
    queryKey: ['recommendations'],
    queryFn: async () => unwrap(await api.GET('/api/v1/me/recommendations')).shelves,
  });
  const trending = useQuery({
    queryKey: ['trending', 'album'],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/v1/insights/trending', {
          params: { query: { kind: 'album', period: 'week', limit: 16 } },
        }),
      ).items,
  });
  const albumShelf = (albums: readonly Album[] | undefined) =>
    (albums ?? []).map((album) => <AlbumCard key={album.id} album={album} />);
  const nothing =
    recentlyAdded.data?.length === 0 && recentlyPlayed.data?.length === 0 && (mixes.data ?? []).length === 0;
  return (
    <div className="page">
      <h1>{t.home.greeting(user.username)}</h1>
      {(mixes.data ?? []).length > 0 && (
        <Shelf title={t.home.mixes}>
          {mixes.data!.map((mix) => (
            <TracksCard
              key={mix.id}
              title={mix.title}
              subtitle={mix.description}
              to={`/mixes/${mix.id}`}
              coverArtId={mix.tracks[0]?.coverArtId}
              tracks={async () => mix.tracks}
            />
          ))}
        </Shelf>
      )}
      {(recentlyPlayed.data ?? []).length > 0 && (
        <Shelf title={t.home.recentlyPlayed} more="/albums?sort=recentlyPlayed">
          {albumShelf(recentlyPlayed.data)}
        </Shelf>
      )}
      {(shelves.data ?? []).map((shelf) => (
        <Shelf key={shelf.id} title={shelf.title} reason={shelf.reason.text}>
          {shelf.tracks?.map((track, index) => (
            <TrackShelfCard key={track.id} track={track} tracks={shelf.tracks!} index={index} />
          ))}
          {shelf.artists?.map((artist) => (
            <ArtistCard key={artist.id} artist={artist} />
          ))}
        </Shelf>
      ))}
      {(recentlyAdded.data ?? []).length > 0 && (
        <Shelf title={t.home.recentlyAdded} more="/albums?sort=recentlyAdded">
          {albumShelf(recentlyAdded.data)}
        </Shelf>
      )}
      {(trending.data ?? []).some((entry) => entry.album) && (
        <Shelf title={t.home.trending}>
          {albumShelf(trending.data!.flatMap((entry) => (entry.album ? [entry.album] : [])))}
        </Shelf>
      )}
      {nothing && (
        <div className="empty">
          <p>{recentlyAdded.data?.length === 0 ? t.library.emptyLibrary : t.home.empty}</p>
          <button type="button" className="button" onClick={() => navigate('/albums')}>
            {t.nav.albums}
          </button>
        </div>
      )}
    </div>
  );
}
