// Who sees what: the first-run setup until an administrator exists, the sign-in page without a session,
// and the app otherwise. A session that ends (its refresh failed) brings back the sign-in page while the
// player, which lives outside React, keeps its queue and goes on playing.
import { useQueryClient } from '@tanstack/react-query';
import { lazy, useEffect, useState } from 'react';
import { Route, Routes } from 'react-router';
import { onSessionEnd } from './api/client.ts';
import { ME_KEY, useMe, useServerInfo } from './api/session.ts';
import { Shell } from './components/Shell.tsx';
import { t } from './i18n/index.ts';
import { AlbumPage, AlbumsPage } from './pages/Albums.tsx';
import { ArtistPage, ArtistsPage } from './pages/Artists.tsx';
import { LoginPage, SetupPage } from './pages/AuthPages.tsx';
import { FoldersPage, GenresPage } from './pages/Browse.tsx';
import { HomePage } from './pages/Home.tsx';
import { LyricsPage, MixPage, NotFoundPage } from './pages/Lyrics.tsx';
import { PlaylistPage, PlaylistsPage } from './pages/Playlists.tsx';
import { SearchPage } from './pages/Search.tsx';
import { SongsPage, StarredPage } from './pages/Songs.tsx';
import { queueSync } from './player/index.ts';

// Pages most visits never open load on demand, keeping the first download small.
const StatsPage = lazy(() => import('./pages/Stats.tsx').then((module) => ({ default: module.StatsPage })));
const YearPage = lazy(() => import('./pages/Stats.tsx').then((module) => ({ default: module.YearPage })));
const NotificationsPage = lazy(() =>
  import('./pages/Notifications.tsx').then((module) => ({ default: module.NotificationsPage })),
);
const AccountPage = lazy(() =>
  import('./pages/Account.tsx').then((module) => ({ default: module.AccountPage })),
);
const UploadPage = lazy(() =>
  import('./pages/Upload.tsx').then((module) => ({ default: module.UploadPage })),
);
const AdminPage = lazy(() =>
  import('./pages/admin/Admin.tsx').then((module) => ({ default: module.AdminPage })),
);

function Loading() {
  return (
    <div className="center" style={{ height: '100%' }}>
      <div className="spinner" role="progressbar" aria-label={t.loading} />
    </div>
  );
}

export function App() {
  const client = useQueryClient();
  const server = useServerInfo();
  const me = useMe();
  const [sessionEnded, setSessionEnded] = useState(false);
  const userId = me.data?.id;

  useEffect(
    () =>
      onSessionEnd(() => {
        setSessionEnded(true);
        client.setQueryData(ME_KEY, null);
      }),
    [client],
  );
  useEffect(() => {
    if (!userId) return;
    setSessionEnded(false);
    void queueSync.start();
    return () => queueSync.stop();
  }, [userId]);

  if (server.isPending || me.isPending) return <Loading />;
  if (server.data?.setupRequired) return <SetupPage />;
  if (!me.data) return <LoginPage sessionEnded={sessionEnded} />;
  return (
    <Routes>
      <Route element={<Shell />}>
        <Route index element={<HomePage />} />
        <Route path="search" element={<SearchPage />} />
        <Route path="albums" element={<AlbumsPage />} />
        <Route path="albums/:id" element={<AlbumPage />} />
        <Route path="artists" element={<ArtistsPage />} />
        <Route path="artists/:id" element={<ArtistPage />} />
        <Route path="songs" element={<SongsPage />} />
        <Route path="genres" element={<GenresPage />} />
        <Route path="folders" element={<FoldersPage />} />
        <Route path="folders/:id" element={<FoldersPage />} />
        <Route path="playlists" element={<PlaylistsPage />} />
        <Route path="playlists/:id" element={<PlaylistPage />} />
        <Route path="starred" element={<StarredPage />} />
        <Route path="mixes/:id" element={<MixPage />} />
        <Route path="lyrics" element={<LyricsPage />} />
        <Route path="lyrics/:id" element={<LyricsPage />} />
        <Route path="stats" element={<StatsPage />} />
        <Route path="stats/year/:year" element={<YearPage />} />
        <Route path="notifications" element={<NotificationsPage />} />
        <Route path="account" element={<AccountPage />} />
        <Route path="upload" element={<UploadPage />} />
        <Route path="admin/*" element={<AdminPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
