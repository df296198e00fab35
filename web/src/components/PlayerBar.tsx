// The bar at the bottom of every page: what plays, the transport, the seek bar, volume, quality and
// the queue. It reads the player store through small selectors, so a time update re-renders only the
// seek bar.
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { t } from '../i18n/index.ts';
import { Store, useStore } from '../lib/store.ts';
import { currentEntry, engine, player, playerStore, usePlayer } from '../player/index.ts';
import type { ReplayGainMode } from '../player/player-store.ts';
import { Cover } from './Cover.tsx';
import { Icon } from './Icon.tsx';
import { Menu, type MenuItem } from './Menu.tsx';
import { StarButton } from './TrackTable.tsx';

export const panels = new Store<{ queue: boolean; sidebar: boolean }>({ queue: false, sidebar: false });
export const togglePanel = (name: 'queue' | 'sidebar') => panels.set((state) => ({ [name]: !state[name] }));

function NowPlaying() {
  const track = usePlayer((state) => currentEntry(state)?.track);
  if (!track)
    return (
      <div className="now-playing">
        <span className="faint">{t.player.nothingPlaying}</span>
      </div>
    );
  return (
    <div className="now-playing">
      <Cover id={track.coverArtId} size={56} />
      <div className="meta">
        <div className="track-title ellipsis" data-testid="now-playing-title">
          <Link to={`/albums/${track.albumId}`}>{track.title}</Link>
        </div>
        <div className="track-sub ellipsis">
          <Link to={`/artists/${track.artistId}`}>{track.artistName}</Link>
        </div>
      </div>
      <StarButton id={track.id} starredAt={track.starredAt} label={track.title} />
    </div>
  );
}

function SeekBar() {
  const position = usePlayer((state) => state.position);
  const duration = usePlayer((state) => state.duration || currentEntry(state)?.track.duration || 0);
  const disabled = usePlayer((state) => state.index < 0);
  const fill = duration > 0 ? (Math.min(position, duration) / duration) * 100 : 0;
  return (
    <div className="seek">
      <span aria-hidden="true">{t.time.duration(position)}</span>
      <input
        type="range"
        className="range"
        aria-label={t.player.seek}
        aria-valuetext={`${t.time.duration(position)} / ${t.time.duration(duration)}`}
        min={0}
        max={Math.max(1, Math.floor(duration))}
        step={1}
        value={Math.floor(Math.min(position, duration))}
        disabled={disabled}
        style={{ '--fill': `${fill}%` } as React.CSSProperties}
        onChange={(event) => engine.seek(Number(event.target.value))}
      />
      <span aria-hidden="true">{t.time.duration(duration)}</span>
    </div>
  );
}

function Transport() {
  const playing = usePlayer((state) => state.playing);
  const buffering = usePlayer((state) => state.buffering && state.playing);
  const shuffle = usePlayer((state) => state.unshuffled !== undefined);
  const repeat = usePlayer((state) => state.repeat);
  const empty = usePlayer((state) => state.index < 0);
  const error = usePlayer((state) => state.error);
  return (
    <div className="transport">
      <div className="transport-buttons">
        <button
          type="button"
          className={`icon-button wide-only${shuffle ? ' on' : ''}`}
          aria-pressed={shuffle}
          aria-label={t.player.shuffle}
          title={shuffle ? t.player.shuffleOn : t.player.shuffle}
          onClick={player.toggleShuffle}
        >
          <Icon name="shuffle" />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={t.player.previous}
          title={t.player.previous}
          disabled={empty}
          onClick={() => player.previous(() => engine.restart())}
        >
          <Icon name="previous" />
        </button>
        <button
          type="button"
          className="icon-button play"
          aria-label={playing ? t.player.pause : t.player.play}
          title={buffering ? t.player.buffering : undefined}
          disabled={empty}
          onClick={player.togglePlay}
          data-testid="play-pause"
        >
          <Icon name={playing ? 'pause' : 'play'} />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={t.player.next}
          title={t.player.next}
          disabled={empty}
          onClick={player.next}
        >
          <Icon name="next" />
        </button>
        <button
          type="button"
          className={`icon-button wide-only${repeat !== 'off' ? ' on' : ''}`}
          aria-label={t.player.repeat[repeat]}
          title={t.player.repeat[repeat]}
          onClick={player.cycleRepeat}
        >
          <Icon name={repeat === 'one' ? 'repeatOne' : 'repeat'} />
        </button>
      </div>
      <SeekBar />
      {error && (
        <div className="player-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

function useProfiles() {
  return useQuery({
    queryKey: ['transcoding-profiles'],
    queryFn: async () => unwrap(await api.GET('/api/v1/transcoding/profiles')),
    staleTime: 10 * 60_000,
  });
}

function Extras() {
  const volume = usePlayer((state) => state.volume);
  const muted = usePlayer((state) => state.muted);
  const queueOpen = useStore(panels, (state) => state.queue);
  const navigate = useNavigate();
  const profiles = useProfiles();
  const settingsItems = (): MenuItem[] => {
    const { quality, replayGain } = playerStore.get();
    const mark = (on: boolean, label: string) => (on ? `✓ ${label}` : label);
    return [
      { heading: t.player.quality },
      {
        label: mark(quality === 'original', t.player.original),
        onSelect: () => player.setQuality('original'),
      },
      ...(profiles.data?.items ?? []).map((profile) => ({
        label: mark(quality === profile.name, profile.name),
        onSelect: () => player.setQuality(profile.name),
      })),
      { separator: true },
      { heading: t.player.replayGain },
      ...(['off', 'track', 'album'] as ReplayGainMode[]).map((mode) => ({
        label: mark(replayGain === mode, t.player.replayGainModes[mode]),
        onSelect: () => player.setReplayGain(mode),
      })),
    ];
  };
  return (
    <div className="player-extras">
      <button
        type="button"
        className="icon-button wide-only"
        aria-label={t.player.lyrics}
        title={t.player.lyrics}
        onClick={() => navigate('/lyrics')}
      >
        <Icon name="lyrics" />
      </button>
      <button
        type="button"
        className={`icon-button${queueOpen ? ' on' : ''}`}
        aria-label={t.player.queue}
        aria-pressed={queueOpen}
        title={t.player.queue}
        onClick={() => togglePanel('queue')}
      >
        <Icon name="queue" />
      </button>
      <Menu
        label={`${t.player.quality}, ${t.player.replayGain}`}
        icon="settings"
        buttonClass="icon-button wide-only"
        items={settingsItems}
      />
      <button
        type="button"
        className="icon-button wide-only"
        aria-label={muted ? t.player.unmute : t.player.mute}
        title={muted ? t.player.unmute : t.player.mute}
        onClick={player.toggleMute}
      >
        <Icon name={muted || volume === 0 ? 'mute' : 'volume'} />
      </button>
      <input
        type="range"
        className="range wide-only"
        aria-label={t.player.volume}
        min={0}
        max={100}
        value={muted ? 0 : Math.round(volume * 100)}
        style={{ '--fill': `${muted ? 0 : volume * 100}%` } as React.CSSProperties}
        onChange={(event) => player.setVolume(Number(event.target.value) / 100)}
      />
    </div>
  );
}

export function PlayerBar() {
  return (
    <section className="player-bar" aria-label={t.player.region}>
      <NowPlaying />
      <Transport />
      <Extras />
    </section>
  );
}
