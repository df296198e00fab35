// Dark, light, or the system's choice (the default), kept in this browser.
import { useSyncExternalStore } from 'react';

export type Theme = 'system' | 'dark' | 'light';
const KEY = 'tonearm.theme';
const listeners = new Set<() => void>();

function read(): Theme {
  const saved = localStorage.getItem(KEY);
  return saved === 'dark' || saved === 'light' ? saved : 'system';
}

export function applyTheme(theme: Theme = read()): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

export function setTheme(theme: Theme): void {
  localStorage.setItem(KEY, theme);
  applyTheme(theme);
  for (const listener of listeners) listener();
}

export function useTheme(): [Theme, (theme: Theme) => void] {
  const theme = useSyncExternalStore((notify) => {
    listeners.add(notify);
    return () => listeners.delete(notify);
  }, read);
  return [theme, setTheme];
}
