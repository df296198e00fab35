// Importing a listening history from elsewhere (docs/insights.md, "History import"), so recommendations
// and statistics work from the first day: a ListenBrainz export (a JSON array of listens, or JSON lines)
// or a Last.fm one (the API's recent tracks as JSON, or a CSV of scrobbles, with or without a header).
// Each listen is matched to a track the user may see: by MusicBrainz recording id first, then by title and
// artist, normalised (case, accents, punctuation, "feat." credits, then "(Remastered 2011)"-style
// suffixes), preferring the same album. Matched listens become whole plays through the listening service
// (source `import`), each with an id made of its time and track, so importing a file twice counts once.
// The report says what matched, how, and the most frequent of what did not.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { User } from '../accounts/users.service.ts';
import { visibleLibraryIds } from '../activity/access.ts';
import { type TrackMatchRow, trackMatchRows } from '../catalog/tracks.repository.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { ingestEvents, type ListeningEventInput } from './listening.service.ts';

export type HistoryFormat = 'listenbrainz' | 'lastfm-json' | 'lastfm-csv';

/** One listen as an export names it. */
export interface ImportedListen {
  /** When it began, epoch ms. */
  at: number;
  artist: string;
  title: string;
  album: string;
  recordingMbid: string | undefined;
}

export interface ImportReport {
  format: HistoryFormat;
  /** Listens in the file. */
  total: number;
  matched: number;
  byMbid: number;
  byName: number;
  /** Matched, and imported before (the same time and track). */
  alreadyImported: number;
  /** Entries without a time, an artist or a title. */
  invalid: number;
  unmatched: number;
  /** The most frequent unmatched songs, most first (50 at most). */
  unmatchedTop: { artist: string; title: string; count: number }[];
}

const BATCH = 500;

// ---- parsing

function text(value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (value && typeof value === 'object' && '#text' in value)
    return text((value as { '#text': unknown })['#text']);
  return '';
}

function mbid(value: unknown): string | undefined {
  const id = text(value).toLowerCase();
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id) ? id : undefined;
}

/** Seconds or milliseconds since the epoch, or a date text, as epoch ms. */
function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  const raw = text(value);
  if (/^\d+$/.test(raw)) return timeOf(Number(raw));
  if (!raw) return undefined;
  const parsed = Date.parse(
    /\d{1,2}:\d{2}$/.test(raw) && !/[zZ]|[+-]\d\d:?\d\d$/.test(raw) ? `${raw} UTC` : raw,
  );
  return Number.isNaN(parsed) ? undefined : parsed;
}

type Invalid = { invalid: true };
const INVALID: Invalid = { invalid: true };

function listenBrainzListen(entry: unknown): ImportedListen | Invalid {
  const listen = entry as {
    listened_at?: unknown;
    track_metadata?: {
      artist_name?: unknown;
      track_name?: unknown;
      release_name?: unknown;
      additional_info?: { recording_mbid?: unknown };
      mbid_mapping?: { recording_mbid?: unknown };
    };
  };
  const meta = listen?.track_metadata;
  const at = timeOf(listen?.listened_at);
  const artist = text(meta?.artist_name);
  const title = text(meta?.track_name);
  if (at === undefined || !artist || !title) return INVALID;
  return {
    at,
    artist,
    title,
    album: text(meta?.release_name),
    recordingMbid: mbid(meta?.mbid_mapping?.recording_mbid) ?? mbid(meta?.additional_info?.recording_mbid),
  };
}

function lastFmTrack(entry: unknown): ImportedListen | Invalid | undefined {
  const track = entry as {
    artist?: unknown;
    name?: unknown;
    album?: unknown;
    mbid?: unknown;
    date?: { uts?: unknown } | unknown;
    '@attr'?: { nowplaying?: unknown };
  };
  // The track playing while the export was made has no time yet: not a listen.
  if (track?.['@attr']?.nowplaying) return undefined;
  const date = track?.date as { uts?: unknown } | undefined;
  const at = timeOf(date?.uts ?? date);
  const artist = text((track?.artist as { name?: unknown })?.name ?? track?.artist);
  const title = text(track?.name);
  if (at === undefined || !artist || !title) return INVALID;
  return { at, artist, title, album: text(track?.album), recordingMbid: mbid(track?.mbid) };
}

/** The Last.fm API's recent tracks however the export tool saved them (pages, one page, or the tracks). */
function lastFmTracks(json: unknown): unknown[] | undefined {
  const pages = Array.isArray(json) ? json : [json];
  const tracks: unknown[] = [];
  for (const page of pages) {
    const recent = (page as { recenttracks?: { track?: unknown } })?.recenttracks;
    if (recent) {
      const list = recent.track;
      tracks.push(...(Array.isArray(list) ? list : list ? [list] : []));
    } else if (page && typeof page === 'object' && 'name' in page && 'artist' in page) tracks.push(page);
    else return undefined;
  }
  return tracks;
}

/** Splits one CSV line (quotes doubled inside quoted fields). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  fields.push(field);
  return fields;
}

function lastFmCsv(content: string): (ImportedListen | Invalid)[] {
  const lines = content.split(/\r?\n/).filter((line) => line.trim() !== '');
  const first = csvFields(lines[0] ?? '').map((name) => name.trim().toLowerCase());
  const header = first.includes('artist') && (first.includes('track') || first.includes('title'));
  const column = (names: string[], fallback: number) => {
    const found = names.map((name) => first.indexOf(name)).find((index) => index >= 0);
    return header ? (found ?? -1) : fallback;
  };
  // Without a header: artist, album, track, date (the common "lastfm-to-csv" export).
  const artistAt = column(['artist'], 0);
  const albumAt = column(['album'], 1);
  const titleAt = column(['track', 'title'], 2);
  const timeAt = column(['uts', 'timestamp', 'date', 'utc_time', 'time'], 3);
  const mbidAt = column(['track_mbid', 'mbid', 'recording_mbid'], -1);
  return lines.slice(header ? 1 : 0).map((line) => {
    const fields = csvFields(line);
    const at = timeOf(fields[timeAt]);
    const artist = text(fields[artistAt]);
    const title = text(fields[titleAt]);
    if (at === undefined || !artist || !title) return INVALID;
    return {
      at,
      artist,
      title,
      album: albumAt >= 0 ? text(fields[albumAt]) : '',
      recordingMbid: mbid(fields[mbidAt]),
    };
  });
}

/** The listens of an export file, and which format it was. */
export function parseHistory(content: string): {
  format: HistoryFormat;
  listens: (ImportedListen | Invalid)[];
} {
  const trimmed = content.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new TonearmError('BAD_REQUEST', 'the file is empty');
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      // JSON lines: one ListenBrainz listen per line.
      const lines = trimmed.split(/\r?\n/).filter((line) => line.trim() !== '');
      try {
        return { format: 'listenbrainz', listens: lines.map((line) => listenBrainzListen(JSON.parse(line))) };
      } catch {
        throw new TonearmError('BAD_REQUEST', 'the file is neither JSON nor JSON lines');
      }
    }
    const entries = Array.isArray(json) ? json : [json];
    if (entries.some((entry) => entry && typeof entry === 'object' && 'track_metadata' in entry))
      return { format: 'listenbrainz', listens: entries.map(listenBrainzListen) };
    const tracks = lastFmTracks(json);
    if (tracks)
      return {
        format: 'lastfm-json',
        listens: tracks.map(lastFmTrack).filter((listen) => listen !== undefined),
      };
    throw new TonearmError(
      'BAD_REQUEST',
      'not a listening history this server knows: expected a ListenBrainz export or Last.fm recent tracks',
    );
  }
  return { format: 'lastfm-csv', listens: lastFmCsv(trimmed) };
}

// ---- matching

/** Lower case, no accents, "&" as "and", no punctuation, single spaces. */
export function normalised(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The title without a featured-artist credit or a version suffix: "Song (Remastered 2011)" → "song". */
function bareTitle(title: string): string {
  return normalised(
    title
      .replace(/\s*[([][^)\]]*[)\]]\s*$/g, '')
      .replace(/\s+-\s+.*(remaster|version|edit|mix|live|mono|stereo).*$/i, '')
      .replace(/\s+(feat\.?|ft\.?|featuring)\s+.*$/i, ''),
  );
}

/** The main artist: "A feat. B", "A & B", "A, B" → "a". */
function mainArtist(artist: string): string {
  return normalised(
    artist.split(/\s+(?:feat\.?|ft\.?|featuring|&|and|x|vs\.?)\s+|,\s*|;\s*/i)[0] ?? artist,
  ).replace(/^the /, '');
}

class TrackIndex {
  private readonly byMbid = new Map<string, TrackMatchRow>();
  private readonly byTitle = new Map<string, TrackMatchRow[]>();

  constructor(rows: readonly TrackMatchRow[]) {
    for (const row of rows) {
      if (row.mbz_recording_id) this.byMbid.set(row.mbz_recording_id.toLowerCase(), row);
      for (const key of new Set([normalised(row.title), bareTitle(row.title)])) {
        const list = this.byTitle.get(key) ?? [];
        list.push(row);
        this.byTitle.set(key, list);
      }
    }
  }

  find(listen: ImportedListen): { track: TrackMatchRow; how: 'mbid' | 'name' } | undefined {
    const byMbid = listen.recordingMbid ? this.byMbid.get(listen.recordingMbid) : undefined;
    if (byMbid) return { track: byMbid, how: 'mbid' };
    const artist = mainArtist(listen.artist);
    const album = normalised(listen.album);
    for (const key of [normalised(listen.title), bareTitle(listen.title)]) {
      const candidates = (this.byTitle.get(key) ?? []).filter(
        (row) => mainArtist(row.artist_name) === artist || mainArtist(row.album_artist_name) === artist,
      );
      if (candidates.length === 0) continue;
      const sameAlbum = candidates.find((row) => album !== '' && normalised(row.album_name) === album);
      return { track: sameAlbum ?? candidates[0]!, how: 'name' };
    }
    return undefined;
  }
}

/** Imports a history file's listens as the user's plays; returns the report. */
export async function importHistory(
  db: Database,
  user: User,
  content: string,
  now = Date.now(),
): Promise<ImportReport> {
  const { format, listens } = parseHistory(content);
  const index = new TrackIndex(trackMatchRows(db, visibleLibraryIds(user)));
  const report: ImportReport = {
    format,
    total: listens.length,
    matched: 0,
    byMbid: 0,
    byName: 0,
    alreadyImported: 0,
    invalid: 0,
    unmatched: 0,
    unmatchedTop: [],
  };
  const unmatched = new Map<string, { artist: string; title: string; count: number }>();
  const events: ListeningEventInput[] = [];
  for (const listen of listens) {
    if ('invalid' in listen) {
      report.invalid++;
      continue;
    }
    const found = index.find(listen);
    if (!found) {
      report.unmatched++;
      const key = `${normalised(listen.artist)}\u0000${normalised(listen.title)}`;
      const entry = unmatched.get(key) ?? { artist: listen.artist, title: listen.title, count: 0 };
      entry.count++;
      unmatched.set(key, entry);
      continue;
    }
    report.matched++;
    if (found.how === 'mbid') report.byMbid++;
    else report.byName++;
    const durationMs = Math.round(found.track.duration * 1000);
    events.push({
      id: `import:${listen.at}:${found.track.id}`,
      trackId: found.track.id,
      type: 'complete',
      positionMs: durationMs,
      listenedMs: durationMs,
      at: listen.at + durationMs,
      playerId: 'import',
    });
  }
  events.sort((a, b) => a.at - b.at);
  for (let start = 0; start < events.length; start += BATCH) {
    const result = ingestEvents(db, user, events.slice(start, start + BATCH), 'import', now);
    report.alreadyImported += result.duplicates.length;
    // A long file: the server goes on answering between batches.
    await yieldToEventLoop();
  }
  report.unmatchedTop = [...unmatched.values()]
    .sort((a, b) => b.count - a.count || (a.artist < b.artist ? -1 : 1))
    .slice(0, 50);
  return report;
}
