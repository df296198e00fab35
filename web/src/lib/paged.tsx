// Lists paged by cursor (every list route answers { items, nextCursor }): pages load as the listener
// scrolls, fetched before the end is reached.
import { useInfiniteQuery } from '@tanstack/react-query';
import { type ReactNode, useCallback, useEffect, useMemo, useRef } from 'react';
import { ApiError } from '../api/client.ts';
import { t } from '../i18n/index.ts';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function usePaged<T>(
  queryKey: readonly unknown[],
  fetchPage: (cursor: string | undefined, signal: AbortSignal) => Promise<Page<T>>,
) {
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam, signal }) => fetchPage(pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  return { ...query, items, loadMore };
}

/** Calls `onVisible` when it comes near the screen (the end of a grid): the next page loads. */
export function LoadMore({ onVisible, active }: { onVisible: () => void; active: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!active || !ref.current) return;
    const observer = new IntersectionObserver(
      (entries) => entries.some((entry) => entry.isIntersecting) && onVisible(),
      {
        rootMargin: '800px',
      },
    );
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, [active, onVisible]);
  return <div ref={ref} style={{ height: 1 }} aria-hidden="true" />;
}

/** Loading, failed or empty: what a page shows instead of its content. */
export function QueryState({
  query,
  empty,
  children,
}: {
  query: { isPending: boolean; error: unknown; refetch: () => unknown };
  empty?: ReactNode | false;
  children: ReactNode;
}) {
  if (query.isPending)
    return (
      <div className="center">
        <div className="spinner" role="progressbar" aria-label={t.loading} />
      </div>
    );
  if (query.error) {
    const error = query.error;
    const notFound = error instanceof ApiError && error.status === 404;
    return (
      <div className="empty" role="alert">
        <h2>{notFound ? t.notFound : t.error}</h2>
        <p>{notFound ? t.notFoundDetail : error instanceof Error ? error.message : String(error)}</p>
        {error instanceof ApiError && error.problem?.requestId && (
          <p className="faint">{t.requestId(error.problem.requestId)}</p>
        )}
        {!notFound && (
          <button type="button" className="button" onClick={() => query.refetch()}>
            {t.retry}
          </button>
        )}
      </div>
    );
  }
  if (empty) return <div className="empty">{empty}</div>;
  return <>{children}</>;
}
