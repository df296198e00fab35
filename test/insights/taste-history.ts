// A synthetic server with clear taste clusters, for the recommendation tests: four genres of eight
// artists with ten tracks each (320 tracks, Zipf-like popularity inside each genre, year, tempo and
// loudness that differ by genre), and listeners who each belong to one cluster and listen in sessions of
// eight tracks, nine in ten from their cluster and one from anywhere. Each listener's last sessions are
// held out (not sent), to check what the recommendations foresee against what they went on to play.
import { createUser, type User } from '../../src/accounts/users.service.ts';
import type { Database } from '../../src/db/database.ts';
import { ingestEvents, type ListeningEventInput } from '../../src/listening/listening.service.ts';
import { albumRow, artistRow, folderRow, trackRow } from '../helpers/catalog-rows.ts';
import { seededRandom } from '../helpers/random.ts';

export const GENRES = ['Jazz', 'Metal', 'Electronic', 'Folk'] as const;
export const ARTISTS_PER_GENRE = 8;
/** One more artist per genre that nobody plays (the content-based fallback's case). */
export const UNPLAYED_ARTIST = ARTISTS_PER_GENRE;
export const TRACKS_PER_ARTIST = 10;
const TRACK_SECONDS = 200;
export const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const DAY = 86_400_000;

export interface TasteServer {
  users: { user: User; genre: number; heldOut: Set<string>; trained: Set<string> }[];
  /** Track id → genre index. */
  genreOf: Map<string, number>;
  tracksOfGenre: string[][];
}

export function trackId(genre: number, artist: number, track: number): string {
  return `tr-g${genre}a${artist}t${track}`;
}

export function seedTasteCatalog(db: Database): { genreOf: Map<string, number>; tracksOfGenre: string[][] } {
  const q = db.kysely;
  db.run(q.insertInto('library').values({ id: 1, name: 'Music', path: '/music', created_at: NOW }));
  const genreOf = new Map<string, number>();
  const tracksOfGenre: string[][] = GENRES.map(() => []);
  db.transaction(() => {
    GENRES.forEach((genre, g) => {
      db.run(q.insertInto('genre').values({ id: `ge-${g}`, name: genre }));
      for (let a = 0; a <= UNPLAYED_ARTIST; a++) {
        const artistId = `ar-g${g}a${a}`;
        const name = `${genre} Artist ${a}`;
        const albumId = `al-g${g}a${a}`;
        db.run(q.insertInto('artist').values(artistRow({ id: artistId, name }, NOW)));
        db.run(
          q
            .insertInto('album')
            .values(
              albumRow({ id: albumId, name: `${name} LP`, artist_id: artistId, artist_name: name }, NOW),
            ),
        );
        db.run(q.insertInto('album_artist').values({ album_id: albumId, artist_id: artistId, position: 0 }));
        db.run(q.insertInto('album_genre').values({ album_id: albumId, genre_id: `ge-${g}`, position: 0 }));
        db.run(q.insertInto('library_album').values({ library_id: 1, album_id: albumId }));
        db.run(q.insertInto('library_artist').values({ library_id: 1, artist_id: artistId }));
        const folderId = `fo-g${g}a${a}`;
        db.run(
          q.insertInto('folder').values(folderRow({ id: folderId, library_id: 1, path: name, name }, NOW)),
        );
        for (let t = 0; t < TRACKS_PER_ARTIST; t++) {
          const id = trackId(g, a, t);
          db.run(
            q.insertInto('track').values(
              trackRow(
                {
                  id,
                  library_id: 1,
                  folder_id: folderId,
                  path: `${name}/${t}.flac`,
                  title: `${genre} ${a}-${t}`,
                  album_id: albumId,
                  album_name: `${name} LP`,
                  artist_id: artistId,
                  artist_name: name,
                  album_artist_name: name,
                  track_number: t + 1,
                  duration: TRACK_SECONDS,
                  genre,
                  year: 1960 + g * 15 + a,
                  bpm: 80 + g * 30 + t,
                  rg_track_gain: -4 - g * 2,
                },
                NOW,
              ),
            ),
          );
          db.run(q.insertInto('track_genre').values({ track_id: id, genre_id: `ge-${g}`, position: 0 }));
          genreOf.set(id, g);
          if (a < UNPLAYED_ARTIST) tracksOfGenre[g]!.push(id);
        }
      }
    });
  });
  return { genreOf, tracksOfGenre };
}

/** Picks from a list with weights falling as 1/(rank+1)^0.8 (a few hits, a long tail). */
function zipfPick(items: readonly string[], random: () => number): string {
  const weights = items.map((_, rank) => 1 / (rank + 1) ** 0.8);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let target = random() * total;
  for (let i = 0; i < items.length; i++) {
    target -= weights[i]!;
    if (target <= 0) return items[i]!;
  }
  return items.at(-1)!;
}

export interface HistoryOptions {
  usersPerGenre?: number;
  sessions?: number;
  heldOutSessions?: number;
  seed?: number;
}

/** Creates the listeners and sends their training sessions as listening events (complete listens). */
export async function seedTasteHistory(db: Database, options: HistoryOptions = {}): Promise<TasteServer> {
  const { genreOf, tracksOfGenre } = seedTasteCatalog(db);
  const usersPerGenre = options.usersPerGenre ?? 8;
  const sessions = options.sessions ?? 16;
  const heldOut = options.heldOutSessions ?? 4;
  const random = seededRandom(options.seed ?? 14);
  const all = tracksOfGenre.flat();
  const users: TasteServer['users'] = [];
  for (let g = 0; g < GENRES.length; g++) {
    // Each listener has their own favourites order inside the genre (shared hits stay on top).
    for (let u = 0; u < usersPerGenre; u++) {
      const user = await createUser(db, { username: `listener-${g}-${u}`, password: 'listener-pass' });
      const mine = [...tracksOfGenre[g]!].sort(() => random() - 0.5);
      const order = [
        ...tracksOfGenre[g]!.slice(0, 8),
        ...mine.filter((id) => !tracksOfGenre[g]!.slice(0, 8).includes(id)),
      ];
      const trained = new Set<string>();
      const held = new Set<string>();
      const events: ListeningEventInput[] = [];
      for (let s = 0; s < sessions + heldOut; s++) {
        const start = NOW - (sessions + heldOut - s) * DAY * 2 + Math.floor(random() * 3_600_000);
        for (let i = 0; i < 8; i++) {
          const track = random() < 0.9 ? zipfPick(order, random) : all[Math.floor(random() * all.length)]!;
          const at = start + (i + 1) * TRACK_SECONDS * 1000;
          if (s < sessions) {
            trained.add(track);
            events.push({
              id: `${user.id}-${s}-${i}`,
              trackId: track,
              type: 'complete',
              positionMs: TRACK_SECONDS * 1000,
              listenedMs: TRACK_SECONDS * 1000,
              at,
              playerId: 'phone',
            });
          } else held.add(track);
        }
      }
      for (let i = 0; i < events.length; i += 500)
        ingestEvents(db, user, events.slice(i, i + 500), 'api', NOW);
      for (const id of trained) held.delete(id);
      users.push({ user, genre: g, heldOut: held, trained });
    }
  }
  return { users, genreOf, tracksOfGenre };
}
