// Notifications: new albums of followed artists, uploads scanned or refused; opening one goes to its
// subject; all can be marked read.
import { useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { toastError } from '../components/Toasts.tsx';
import { t } from '../i18n/index.ts';
import { LoadMore, QueryState, usePaged } from '../lib/paged.tsx';

const SUBJECT_PATHS: Record<string, string> = {
  album: '/albums/',
  artist: '/artists/',
  track: '/lyrics/',
  upload: '/upload',
};

export function NotificationsPage() {
  const client = useQueryClient();
  const notifications = usePaged(['notifications', 'all'], async (cursor, signal) =>
    unwrap(
      await api.GET('/api/v1/notifications', {
        params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } },
        signal,
      }),
    ),
  );
  const unread = notifications.items.filter((item) => !item.readAt).length;
  const markAll = async () => {
    try {
      unwrap(await api.POST('/api/v1/notifications/read', { body: { all: true } }));
      void client.invalidateQueries({ queryKey: ['notifications'] });
    } catch (error) {
      toastError(error);
    }
  };
  return (
    <div className="page">
      <h1>{t.notifications.title}</h1>
      <div className="toolbar">
        <span className="muted">{t.notifications.unread(unread)}</span>
        <button type="button" className="button small" disabled={unread === 0} onClick={() => void markAll()}>
          {t.notifications.markAllRead}
        </button>
      </div>
      <QueryState query={notifications} empty={notifications.items.length === 0 && t.notifications.empty}>
        <ul style={{ listStyle: 'none', padding: 0, margin: 0 }}>
          {notifications.items.map((item) => {
            const path = item.subject ? SUBJECT_PATHS[item.subject.type] : undefined;
            const to = path && item.subject && item.subject.type !== 'upload' ? path + item.subject.id : path;
            return (
              <li key={item.id} className="panel" style={{ opacity: item.readAt ? 0.75 : 1 }}>
                <strong>{to ? <Link to={to}>{item.title}</Link> : item.title}</strong>
                {!item.readAt && (
                  <span className="badge" style={{ marginLeft: '0.5rem' }}>
                    ●
                  </span>
                )}
                <p style={{ margin: '0.3rem 0' }}>{item.message}</p>
                <span className="faint">{t.time.dateTime(item.createdAt)}</span>
              </li>
            );
          })}
        </ul>
        <LoadMore onVisible={notifications.loadMore} active={notifications.hasNextPage} />
      </QueryState>
    </div>
  );
}
