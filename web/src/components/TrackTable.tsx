// Lists of songs. TrackTable is virtualised against the page's scroll container: only the rows on
// screen exist, so 100,000 songs scroll as smoothly as 10, and the next page is fetched before the
// listener reaches the end. Each row plays on double-click or Enter, and has its menu.
import { useVirtualizer } from '@tanstack/react-virtual';
import {
  createContext,
  type ReactNode,
  useContext,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';
import { Link } from 'react-router';
import { useAnnotations, useRating, useStarredAt } from '../api/annotations.ts';
import type { QueueTrack } from '../api/client.ts';
import { t } from '../i18n/index.ts';
import { currentEntry, player, usePlayer } from '../player/index.ts';
import { Cover } from './Cover.tsx';
import { Icon } from './Icon.tsx';
import { Menu, type MenuItem } from './Menu.tsx';
import { addToPlaylist } from './PlaylistPicker.tsx';
import { toast, toastError } from './Toasts.tsx';

/** The element that scrolls the page (the main area), for virtualised lists. */
export const ScrollContainer = createContext<React.RefObject<HTMLElement | null>>({ current: null });

export const ROW_HEIGHT = 54;

export interface TrackTableOptions {
  /** # column: the track number (album pages) or the position in the list. */
  numbering?: 'track' | 'position';
  showCover?: boolean;
  showAlbum?: boolean;
  /** Extra menu items for a row (e.g. "Remove from playlist"). */
  extraItems?: (track: QueueTrack, index: number) => MenuItem[];
}

export function trackMenuItems(
  track: QueueTrack,
  navigate: (to: string) => void,
  rate?: (stars: number) => void,
): MenuItem[] {
  const rating: MenuItem[] = rate
    ? [
        { separator: true },
        { heading: t.actions.rating },
        ...[5, 4, 3, 2, 1, 0].map((stars) => ({
          label: t.actions.rate(stars),
          onSelect: () => rate(stars),
        })),
      ]
    : [];
  return [
    { label: t.actions.playNext, icon: 'next', onSelect: () => player.playNext([track]) },
    {
      label: t.actions.addToQueue,
      icon: 'queue',
      onSelect: () => {
        player.add([track]);
        toast(t.actions.added(1));
      },
    },
    { label: t.actions.addToPlaylist, icon: 'playlist', onSelect: () => addToPlaylist([track.id]) },
    { separator: true },
    { label: t.actions.goToAlbum, icon: 'album', onSelect: () => navigate(`/albums/${track.albumId}`) },
    { label: t.actions.goToArtist, icon: 'artist', onSelect: () => navigate(`/artists/${track.artistId}`) },
    ...rating,
  ];
}

export function StarButton({
  id,
  starredAt,
  label,
}: {
  id: string;
  starredAt: string | null | undefined;
  label?: string;
}) {
  const current = useStarredAt(id, starredAt);
  const { setStar } = useAnnotations();
  const on = current !== null;
  return (
    <button
      type="button"
      className={`icon-button small${on ? ' on' : ''}`}
      aria-pressed={on}
      aria-label={
        label ? `${on ? t.actions.unstar : t.actions.star}: ${label}` : on ? t.actions.unstar : t.actions.star
      }
      title={on ? t.actions.unstar : t.actions.star}
      onClick={() => setStar(id, !on).catch(toastError)}
    >
      <Icon name={on ? 'star' : 'starOutline'} />
    </button>
  );
}

/** One to five stars; choosing the current rating again removes it. */
export function Rating({
  id,
  rating,
  label,
}: {
  id: string;
  rating: number | null | undefined;
  label: string;
}) {
  const current = useRating(id, rating) ?? 0;
  const { setRating } = useAnnotations();
  return (
    <fieldset className="rating" aria-label={`${t.actions.rating}: ${label}`}>
      {[1, 2, 3, 4, 5].map((stars) => (
        <button
          key={stars}
          type="button"
          className={stars <= current ? 'on' : ''}
          aria-pressed={stars === current}
          aria-label={t.actions.rate(stars)}
          title={t.actions.rate(stars)}
          onClick={() => setRating(id, stars === current ? 0 : stars).catch(toastError)}
        >
          <Icon name={stars <= current ? 'star' : 'starOutline'} />
        </button>
      ))}
    </fieldset>
  );
}

function TrackRow({
  track,
  index,
  options,
  onPlay,
  navigate,
  style,
}: {
  track: QueueTrack;
  index: number;
  options: TrackTableOptions;
  onPlay: (index: number) => void;
  navigate: (to: string) => void;
  style?: React.CSSProperties;
}) {
  const isCurrent = usePlayer((state) => currentEntry(state)?.track.id === track.id);
  const { setRating } = useAnnotations();
  const number = options.numbering === 'track' ? (track.trackNumber ?? '') : index + 1;
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      className={`track-row${isCurrent ? ' current' : ''}`}
      style={style}
      onDoubleClick={() => onPlay(index)}
      onKeyDown={(event) => {
        if (event.key === 'Enter' && event.target === event.currentTarget) onPlay(index);
      }}
      tabIndex={-1}
      data-track-id={track.id}
    >
      <div role="cell" className="num">
        <span className="index-text">{number}</span>
        <button
          type="button"
          className="icon-button small row-play"
          aria-label={`${t.actions.play}: ${track.title}`}
          onClick={() => onPlay(index)}
        >
          <Icon name="play" />
        </button>
      </div>
      <div role="cell" className="track-main">
        {options.showCover && <Cover id={track.coverArtId} size={40} />}
        <div className="ellipsis">
          <div className="track-title ellipsis">{track.title}</div>
          <div className="track-sub ellipsis">
            <Link to={`/artists/${track.artistId}`}>{track.artistName}</Link>
          </div>
        </div>
      </div>
      {options.showAlbum !== false && (
        <div role="cell" className="cell ellipsis">
          <Link to={`/albums/${track.albumId}`}>{track.albumName}</Link>
        </div>
      )}
      <div role="cell" className="cell ellipsis">
        {track.year ?? ''}
      </div>
      <div role="cell" className="time">
        {t.time.duration(track.duration)}
      </div>
      <div role="cell" className="row-end">
        <StarButton id={track.id} starredAt={track.starredAt} label={track.title} />
        <Menu
          label={t.actions.trackActions(track.title)}
          items={() => [
            ...trackMenuItems(track, navigate, (stars) => setRating(track.id, stars).catch(toastError)),
            ...(options.extraItems?.(track, index) ?? []),
          ]}
        />
      </div>
    </div>
  );
}

function HeaderRow({ options }: { options: TrackTableOptions }) {
  return (
    <div role="row" aria-rowindex={1} className="track-row header">
      <div role="columnheader" className="num">
        {t.library.columns.number}
      </div>
      <div role="columnheader">{t.library.columns.title}</div>
      {options.showAlbum !== false && <div role="columnheader">{t.library.columns.album}</div>}
      <div role="columnheader">{t.library.columns.year}</div>
      <div role="columnheader" className="time">
        {t.library.columns.duration}
      </div>
      <div role="columnheader">
        <span className="visually-hidden">{t.more}</span>
      </div>
    </div>
  );
}

/** A short list (an album's disc): every row rendered. */
export function TrackRows({
  tracks,
  label,
  options = {},
  onPlay,
  navigate,
  offset = 0,
}: {
  tracks: readonly QueueTrack[];
  label: string;
  options?: TrackTableOptions;
  onPlay: (index: number) => void;
  navigate: (to: string) => void;
  offset?: number;
}) {
  return (
    <div
      role="table"
      aria-label={label}
      aria-rowcount={tracks.length + 1}
      className={`tracks${options.showAlbum === false ? ' compact' : ''}`}
    >
      <HeaderRow options={options} />
      {tracks.map((track, i) => (
        <TrackRow
          key={`${track.id}-${i}`}
          track={track}
          index={offset + i}
          options={options}
          onPlay={onPlay}
          navigate={navigate}
        />
      ))}
    </div>
  );
}

/** A long list, virtualised; `onNearEnd` asks for the next page while rows remain below. */
export function TrackTable({
  tracks,
  label,
  options = {},
  onPlay,
  navigate,
  hasMore = false,
  onNearEnd,
  footer,
}: {
  tracks: readonly QueueTrack[];
  label: string;
  options?: TrackTableOptions;
  onPlay: (index: number) => void;
  navigate: (to: string) => void;
  hasMore?: boolean;
  onNearEnd?: () => void;
  footer?: ReactNode;
}) {
  const scroller = useContext(ScrollContainer);
  const body = useRef<HTMLDivElement>(null);
  const [margin, setMargin] = useState(0);
  useLayoutEffect(() => {
    const scroll = scroller.current;
    if (!scroll || !body.current) return;
    setMargin(
      body.current.getBoundingClientRect().top - scroll.getBoundingClientRect().top + scroll.scrollTop,
    );
  }, [scroller]);
  const virtualizer = useVirtualizer({
    count: tracks.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    scrollMargin: margin,
  });
  const items = virtualizer.getVirtualItems();
  const last = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (hasMore && last >= tracks.length - 60) onNearEnd?.();
  }, [hasMore, last, tracks.length, onNearEnd]);

  return (
    <div
      role="table"
      aria-label={label}
      aria-rowcount={hasMore ? -1 : tracks.length + 1}
      className={`tracks${options.showAlbum === false ? ' compact' : ''}`}
    >
      <HeaderRow options={options} />
      <div ref={body} role="rowgroup" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {items.map((item) => (
          <TrackRow
            key={item.key}
            track={tracks[item.index]!}
            index={item.index}
            options={options}
            onPlay={onPlay}
            navigate={navigate}
            style={{
              position: 'absolute',
              top: 0,
              left: 0,
              right: 0,
              transform: `translateY(${item.start - virtualizer.options.scrollMargin}px)`,
            }}
          />
        ))}
      </div>
      {footer}
    </div>
  );
}
