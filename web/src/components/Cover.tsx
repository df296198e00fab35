import { useState } from 'react';
import { coverUrl } from '../api/client.ts';
import { Icon, type IconName } from './Icon.tsx';

/** Sizes asked of the server: a few fixed ones, so the server's resized covers are shared by every page. */
const SIZES = [64, 128, 300, 600];

export function Cover({
  id,
  size,
  round = false,
  fallback = 'album',
  className = '',
}: {
  id: string | null | undefined;
  /** Displayed size in CSS pixels; the image asked for covers twice that (sharp screens). */
  size: number;
  round?: boolean;
  fallback?: IconName;
  className?: string;
}) {
  // The id that failed to load: a row or the player bar that shows another item tries again.
  const [failedId, setFailedId] = useState<string | null | undefined>();
  const wanted = SIZES.find((candidate) => candidate >= size * 2) ?? 600;
  const url = failedId === id ? undefined : coverUrl(id, wanted);
  const classes = `cover${round ? ' round' : ''} ${className}`;
  if (!url)
    return (
      <div className={`${classes} cover-fallback`} aria-hidden="true">
        <Icon name={fallback} />
      </div>
    );
  return (
    <img
      className={classes}
      src={url}
      alt=""
      loading="lazy"
      decoding="async"
      width={size}
      height={size}
      onError={() => setFailedId(id)}
    />
  );
}
