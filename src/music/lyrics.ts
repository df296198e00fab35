// Lyrics as stored with a track: one set per source (embedded tag, .lrc, .txt), synced when the text
// carries [mm:ss.xx] time stamps. Later served as OpenSubsonic structuredLyrics. Parsed by the scanner
// (library) and served by the catalog, so it lives in src/music, beside neither.

export interface LyricLine {
  /** Milliseconds from the start, only for synced lyrics. */
  start?: number;
  value: string;
}

export interface LyricSet {
  source: 'embedded' | 'lrc' | 'txt';
  lang: string;
  synced: boolean;
  /** Milliseconds; positive shows lines earlier (LRC [offset:]). */
  offset: number;
  displayArtist?: string;
  displayTitle?: string;
  lines: LyricLine[];
}

const TIME_TAG = /\[(\d{1,3}):(\d{1,2})(?:[.:](\d{1,3}))?\]/g;
const META_TAG = /^\[(ar|ti|al|by|offset|la|lang|length|re|ve|au):(.*)\]\s*$/i;

export function parseLyricsText(text: string, source: LyricSet['source']): LyricSet | undefined {
  const rawLines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const timed: LyricLine[] = [];
  const plain: LyricLine[] = [];
  let offset = 0;
  let lang = 'und';
  let displayArtist: string | undefined;
  let displayTitle: string | undefined;
  for (const raw of rawLines) {
    const line = raw.trimEnd();
    const meta = META_TAG.exec(line.trim());
    if (meta) {
      const key = meta[1]!.toLowerCase();
      const value = meta[2]!.trim();
      if (key === 'offset' && /^[+-]?\d+$/.test(value)) offset = Number(value);
      else if ((key === 'la' || key === 'lang') && /^[a-z]{2,3}$/i.test(value)) lang = value.toLowerCase();
      else if (key === 'ar' && value) displayArtist = value;
      else if (key === 'ti' && value) displayTitle = value;
      continue;
    }
    const stamps = [...line.matchAll(TIME_TAG)];
    if (stamps.length > 0 && line.trimStart().startsWith('[')) {
      const value = line.replace(TIME_TAG, '').trim();
      for (const stamp of stamps) {
        const fraction = stamp[3] ?? '0';
        const ms =
          Number(stamp[1]) * 60_000 + Number(stamp[2]) * 1000 + Math.round(Number(`0.${fraction}`) * 1000);
        timed.push({ start: ms, value });
      }
    } else {
      plain.push({ value: line.trim() });
    }
  }
  if (timed.length > 0) {
    timed.sort((a, b) => a.start! - b.start!);
    return withDisplay({ source, lang, synced: true, offset, lines: timed }, displayArtist, displayTitle);
  }
  while (plain.length > 0 && plain[0]!.value === '') plain.shift();
  while (plain.length > 0 && plain.at(-1)!.value === '') plain.pop();
  if (plain.length === 0) return undefined;
  return withDisplay({ source, lang, synced: false, offset: 0, lines: plain }, displayArtist, displayTitle);
}

function withDisplay(set: LyricSet, artist: string | undefined, title: string | undefined): LyricSet {
  if (artist) set.displayArtist = artist;
  if (title) set.displayTitle = title;
  return set;
}
