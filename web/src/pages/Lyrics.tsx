// Lyrics of the playing track (or of any track, /lyrics/:id). Synced lyrics follow the music: the line
// being sung is highlighted and kept in view; a click on a line seeks there.
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useNavigate, useParams } from 'react-router';
import { ApiError, api, unwrap } from '../api/client.ts';
import { TrackTable } from '../components/TrackTable.tsx';
import { t } from '../i18n/index.ts';
import { QueryState } from '../lib/paged.tsx';
import { currentEntry, engine, player, usePlayer } from '../player/index.ts';
import { useQueryClient } from '@tanstack/react-query';

export function LyricsPage() {
  const { id } = useParams();
  const playingId = usePlayer((state) => currentEntry(state)?.track.id);
  const trackId = id ?? playingId;
  const lyrics = useQuery({
    queryKey: ['lyrics', trackId],
    enabled: trackId !== undefined,
    queryFn: async () => {
      const result = await api.GET('/api/v1/tracks/{id}/lyrics', { params: { path: { id: trackId! } } });
      if (result.response.status === 404) return null;
      // A track may have several (embedded and a sidecar file, or languages): synced ones first.
      const all = unwrap(result).items;
      return all.find((each) => each.synced) ?? all[0] ?? null;
    },
    retry: (count, error) => !(error instanceof ApiError) && count < 2,
  });
  const isCurrent = trackId !== undefined && trackId === playingId;
  const positionMs = usePlayer((state) => (isCurrent ? state.position * 1000 : -1));
  const list = useRef<HTMLDivElement>(null);
  const data = lyrics.data;
  const offset = data?.offsetMs ?? 0;
  const activeLine =
    data?.synced && positionMs >= 0
      ? data.lines.findLastIndex((line) => line.startMs !== null && line.startMs - offset <= positionMs)
      : -1;
  useEffect(() => {
    if (activeLine >= 0)
      list.current?.children[activeLine]?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  }, [activeLine]);

  return (
    <div className="page">
      <h1>{t.player.lyrics}</h1>
      {trackId === undefined ? (
        <p className="muted">{t.player.nothingPlaying}</p>
      ) : (
        <QueryState query={lyrics} empty={data === null && t.notFound}>
          {data && (
            <div ref={list} className={`lyrics${data.synced ? '' : ' plain'}`} aria-live="off">
              {data.lines.map((line, index) => (
                // A click on a line is a shortcut for the mouse; the seek bar is the way for the keyboard.
                // biome-ignore lint/a11y/useKeyWithClickEvents: see above
                <p
                  key={`${index}-${line.startMs}`}
                  className={index === activeLine ? 'active' : index < activeLine ? 'past' : ''}
                  aria-current={index === activeLine ? 'true' : undefined}
                  onClick={() =>
                    isCurrent && line.startMs !== null && engine.seek((line.startMs - offset) / 1000)
                  }
                >
                  {line.text || '\u00a0'}
                </p>
              ))}
            </div>
          )}
        </QueryState>
      )}
    </div>
  );
}

export function MixPage() {
  const { id } = useParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const mixes = useQuery({
    queryKey: ['mixes'],
    queryFn: async () => unwrap(await api.GET('/api/v1/me/mixes')).mixes,
    initialData: () => client.getQueryData(['mixes']),
  });
  const mix = mixes.data?.find((each) => each.id === id);
  return (
    <div className="page">
      <QueryState query={mixes} empty={!mix && t.notFoundDetail}>
        {mix && (
          <>
            <h1>{mix.title}</h1>
            <p className="muted">{mix.description}</p>
            <div className="actions">
              <button type="button" className="button primary" onClick={() => player.play(mix.tracks)}>
                {t.actions.play}
              </button>
              <button
                type="button"
                className="button"
                onClick={() => player.play(mix.tracks, 0, { shuffle: true })}
              >
                {t.actions.shuffle}
              </button>
            </div>
            <TrackTable
              tracks={mix.tracks}
              label={mix.title}
              options={{ numbering: 'position', showCover: true }}
              onPlay={(index) => player.play(mix.tracks, index)}
              navigate={navigate}
            />
          </>
        )}
      </QueryState>
    </div>
  );
}

export function NotFoundPage() {
  return (
    <div className="page empty">
      <h1>{t.notFound}</h1>
      <p>{t.notFoundDetail}</p>
    </div>
  );
}
