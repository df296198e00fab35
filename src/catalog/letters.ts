// Index letters for artist and folder lists: the first character of the name once leading articles
// ("The", "Los", ...) are dropped, upper-cased; anything that is not a letter goes under "#".
import { articlesFrom, orderName } from '../music/identity.ts';

export function indexKey(name: string, ignoredArticles: string): string {
  return orderName(name, articlesFrom(ignoredArticles));
}

export function indexLetter(sortKey: string): string {
  const first = [...sortKey.trim()][0];
  if (!first || !/\p{L}/u.test(first)) return '#';
  return first.toLocaleUpperCase();
}

/** Groups items under their index letters, letters in order and "#" last, items keeping their order. */
export function groupByLetter<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
): { name: string; items: T[] }[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const letter = indexLetter(keyOf(item));
    const list = groups.get(letter) ?? [];
    list.push(item);
    groups.set(letter, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === '#' ? 1 : b === '#' ? -1 : a.localeCompare(b)))
    .map(([name, list]) => ({ name, items: list }));
}
