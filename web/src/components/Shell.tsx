// The frame of every signed-in page: navigation, the search box, the page, the queue and the player bar.
// Pages change inside it; the player (outside React) and this frame stay, so the music never stops.
import { useQuery } from '@tanstack/react-query';
import { Suspense, useEffect, useRef } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { useLiveEvents } from '../api/live-events.ts';
import { useSignOut, useUser } from '../api/session.ts';
import { t } from '../i18n/index.ts';
import { useStore } from '../lib/store.ts';
import { type Theme, useTheme } from '../lib/theme.ts';
import { engine, listeningEvents, player, playerStore, queueSync } from '../player/index.ts';
import { Icon, type IconName } from './Icon.tsx';
import { Menu } from './Menu.tsx';
import { PlayerBar, panels, togglePanel } from './PlayerBar.tsx';
import { PlaylistPicker } from './PlaylistPicker.tsx';
import { QueuePanel } from './QueuePanel.tsx';
import { SearchBox } from './SearchBox.tsx';
import { ScrollContainer } from './TrackTable.tsx';
import { Toasts } from './Toasts.tsx';

function NavItem({ to, icon, label, badge }: { to: string; icon: IconName; label: string; badge?: number }) {
  return (
    <NavLink to={to} end={to === '/'} className={({ isActive }) => `nav-link${isActive ? ' active' : ''}`}>
      <Icon name={icon} />
      {label}
      {badge ? (
        <span className="badge">
          {badge}
          <span className="visually-hidden"> {t.notifications.unread(badge)}</span>
        </span>
      ) : null}
    </NavLink>
  );
}

function useUnreadCount(): number {
  const { data } = useQuery({
    queryKey: ['notifications', 'unread'],
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/notifications', { params: { query: { unread: 'true', limit: 100 } } }))
        .items.length,
    refetchInterval: 5 * 60_000,
  });
  return data ?? 0;
}

function Sidebar() {
  const user = useUser();
  const signOut = useSignOut();
  const open = useStore(panels, (state) => state.sidebar);
  const [theme, setTheme] = useTheme();
  const unread = useUnreadCount();
  return (
    <>
      {open && <div className="scrim" onClick={() => togglePanel('sidebar')} aria-hidden="true" />}
      <nav className={`sidebar${open ? ' open' : ''}`} aria-label={t.nav.main}>
        <div className="brand">
          <img src="./favicon.svg" alt="" />
          {t.appName}
        </div>
        <NavItem to="/" icon="home" label={t.nav.home} />
        <NavItem to="/search" icon="search" label={t.nav.search} />
        <div className="nav-section">{t.nav.library}</div>
        <NavItem to="/albums" icon="album" label={t.nav.albums} />
        <NavItem to="/artists" icon="artist" label={t.nav.artists} />
        <NavItem to="/songs" icon="song" label={t.nav.songs} />
        <NavItem to="/genres" icon="genre" label={t.nav.genres} />
        <NavItem to="/folders" icon="folder" label={t.nav.folders} />
        <NavItem to="/playlists" icon="playlist" label={t.nav.playlists} />
        <NavItem to="/starred" icon="star" label={t.nav.starred} />
        <div className="nav-section">{t.nav.account}</div>
        <NavItem to="/stats" icon="chart" label={t.nav.stats} />
        <NavItem to="/notifications" icon="bell" label={t.nav.notifications} badge={unread} />
        {(user.admin || user.roles.upload) && <NavItem to="/upload" icon="upload" label={t.nav.upload} />}
        <NavItem to="/account" icon="user" label={t.nav.account} />
        {user.admin && <NavItem to="/admin" icon="settings" label={t.nav.admin} />}
        <div className="sidebar-footer">
          <Menu
            label={t.nav.theme}
            icon="theme"
            buttonClass="nav-link"
            items={() =>
              (['system', 'dark', 'light'] as Theme[]).map((choice) => ({
                label: `${theme === choice ? '✓ ' : ''}${t.nav.themes[choice]}`,
                onSelect: () => setTheme(choice),
              }))
            }
          >
            <Icon name="theme" />
            {t.nav.theme}
          </Menu>
          <button
            type="button"
            className="nav-link"
            onClick={async () => {
              // The saved queue stays on the server for the next sign-in; this browser forgets it, after
              // the last listen (the stop the cleared queue reports) reached the server.
              queueSync.stop();
              player.clear();
              await listeningEvents.flush(false);
              listeningEvents.forget();
              engine.forgetUrls();
              await signOut();
            }}
          >
            <Icon name="logout" />
            {t.nav.signOut} ({user.username})
          </button>
        </div>
      </nav>
    </>
  );
}

/**
 * Player shortcuts, ignored while typing in a field and inside menus, dialogs and the queue. Every one but
 * Space takes a modifier (no single-letter shortcuts, WCAG 2.1.4), so arrows keep scrolling the page.
 */
function useShortcuts(): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (/INPUT|TEXTAREA|SELECT/.test(target.tagName) || target.isContentEditable) return;
      if (target.closest('[role="menu"], dialog, .queue-panel')) return;
      const state = playerStore.get();
      const control = event.ctrlKey || event.metaKey;
      const handled = (() => {
        if (event.key === ' ' && !control && !event.shiftKey && !event.altKey) {
          if (target.tagName === 'BUTTON' || target.tagName === 'A') return false;
          player.togglePlay();
          return true;
        }
        if (event.altKey) return false;
        if (control && !event.shiftKey) {
          switch (event.key) {
            case 'ArrowRight':
              player.next();
              return true;
            case 'ArrowLeft':
              player.previous(() => engine.restart());
              return true;
            case 'ArrowUp':
              player.setVolume(state.volume + 0.05);
              return true;
            case 'ArrowDown':
              player.setVolume(state.volume - 0.05);
              return true;
          }
          return false;
        }
        if (!event.shiftKey || control) return false;
        switch (event.key) {
          case 'ArrowRight':
            engine.seek(state.position + 10);
            return true;
          case 'ArrowLeft':
            engine.seek(state.position - 10);
            return true;
          case 'M':
            player.toggleMute();
            return true;
          case 'S':
            player.toggleShuffle();
            return true;
          case 'R':
            player.cycleRepeat();
            return true;
          case 'Q':
            togglePanel('queue');
            return true;
        }
        return false;
      })();
      if (handled) event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

export function Shell() {
  const main = useRef<HTMLElement>(null);
  const location = useLocation();
  useLiveEvents(true);
  useShortcuts();
  useEffect(() => {
    // A new page starts at its top, and the drawer closes on phones.
    main.current?.scrollTo({ top: 0 });
    panels.set({ sidebar: false });
  }, [location.pathname]);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t.skipToContent}
      </a>
      <Sidebar />
      <main className="main" id="main" ref={main} tabIndex={-1}>
        <div className="topbar">
          <button
            type="button"
            className="icon-button menu-button"
            aria-label={t.nav.openMenu}
            onClick={() => togglePanel('sidebar')}
          >
            <Icon name="menu" />
          </button>
          <SearchBox />
        </div>
        <ScrollContainer.Provider value={main}>
          <Suspense
            fallback={
              <div className="center">
                <div className="spinner" role="progressbar" aria-label={t.loading} />
              </div>
            }
          >
            <Outlet />
          </Suspense>
        </ScrollContainer.Provider>
      </main>
      <QueuePanel />
      <PlayerBar />
      <PlaylistPicker />
      <Toasts />
    </div>
  );
}
