// Cover cards for albums, artists, playlists and mixes: the whole card links to its page; the play button
// on it plays without leaving the page.
import { Link } from 'react-router';
import { type Album, type Artist, api, type QueueTrack, unwrap } from '../api/client.ts';
import { t } from '../i18n/index.ts';
import { player } from '../player/index.ts';
import { Cover } from './Cover.tsx';
import { Icon } from './Icon.tsx';
import { toastError } from './Toasts.tsx';

export async function albumTracks(albumId: string): Promise<QueueTrack[]> {
  return unwrap(await api.GET('/api/v1/albums/{id}', { params: { path: { id: albumId } } })).tracks;
}

export async function artistTracks(artistId: string): Promise<QueueTrack[]> {
  const page = unwrap(
    await api.GET('/api/v1/tracks', { params: { query: { artistId, sort: 'album', limit: 500 } } }),
  );
  return page.items;
}

function PlayOnCard({ label, tracks }: { label: string; tracks: () => Promise<readonly QueueTrack[]> }) {
  return (
    <button
      type="button"
      className="icon-button big-play card-play"
      aria-label={`${t.actions.play}: ${label}`}
      onClick={(event) => {
        event.preventDefault();
        tracks().then((list) => player.play(list), toastError);
      }}
    >
      <Icon name="play" />
    </button>
  );
}

export function AlbumCard({
  album,
  subtitle,
}: {
  album: Pick<Album, 'id' | 'name' | 'artistName' | 'coverArtId' | 'year'>;
  subtitle?: string;
}) {
  return (
    <div className="card">
      <Cover id={album.coverArtId} size={180} />
      <Link className="card-link title" to={`/albums/${album.id}`} title={album.name}>
        {album.name}
      </Link>
      <span className="subtitle">
        {subtitle ?? [album.artistName, album.year].filter(Boolean).join(' · ')}
      </span>
      <PlayOnCard label={album.name} tracks={() => albumTracks(album.id)} />
    </div>
  );
}

export function ArtistCard({
  artist,
}: {
  artist: Pick<Artist, 'id' | 'name' | 'coverArtId' | 'albumCount'>;
}) {
  return (
    <div className="card">
      <Cover id={artist.coverArtId} size={180} round fallback="artist" />
      <Link className="card-link title" to={`/artists/${artist.id}`} title={artist.name}>
        {artist.name}
      </Link>
      <span className="subtitle">{t.library.albums(artist.albumCount)}</span>
      <PlayOnCard label={artist.name} tracks={() => artistTracks(artist.id)} />
    </div>
  );
}

export function TracksCard({
  title,
  subtitle,
  to,
  coverArtId,
  tracks,
}: {
  title: string;
  subtitle: string;
  to: string;
  coverArtId: string | null | undefined;
  tracks: () => Promise<readonly QueueTrack[]>;
}) {
  return (
    <div className="card">
      <Cover id={coverArtId} size={180} fallback="playlist" />
      <Link className="card-link title" to={to} title={title}>
        {title}
      </Link>
      <span className="subtitle">{subtitle}</span>
      <PlayOnCard label={title} tracks={tracks} />
    </div>
  );
}
