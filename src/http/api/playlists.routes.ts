// Playlists in the native API, over the same domain functions as Subsonic's playlist endpoints
// (activity/playlists.service.ts) and M3U files (activity/playlist-m3u.ts). Who may do what is the
// domain's rule: the owner changes a playlist; others see it only when it is public, and a private one of
// someone else is 404, as if it did not exist; a public one of someone else can be read, and changing it
// is 403. Admins may read and delete any playlist but change only their own. Entries are named by their
// position in the list the caller sees (0-based), never by track id, so repeats of one track stay apart.
import { z } from 'zod';
import { exportPlaylistM3u, importPlaylistM3u } from '../../activity/playlist-m3u.ts';
import {
  createPlaylist,
  deletePlaylist,
  findPlaylist,
  getPlaylist,
  insertPlaylistEntries,
  listPlaylists,
  movePlaylistEntries,
  PLAYLIST_COMMENT_MAX,
  PLAYLIST_MAX_ENTRIES,
  PLAYLIST_NAME_MAX,
  type Playlist,
  removePlaylistEntries,
  updatePlaylist,
} from '../../activity/playlists.service.ts';
import type { User } from '../../accounts/users.service.ts';
import { encodeCursor } from '../../shared/cursor.ts';
import { readBodyText } from '../form-body.ts';
import type { Services } from '../services.ts';
import {
  activityTrackSchema,
  cursorKey,
  MAX_IDS_PER_REQUEST,
  trackIds,
  tracksInOrder,
} from './activity-schemas.ts';
import { type AnyRoute, route } from './route.ts';
import { idParams, isoOrNull, isoTime, page, pageQuery, queryBoolean, queryList } from './schemas.ts';

const TAG = 'Playlists';
/** An M3U upload: 50,000 entries with #EXTINF lines fit. */
const M3U_BODY_LIMIT = 8 * 1024 * 1024;
/** Unmatched lines named in an import's answer; the count says how many there were in all. */
const UNMATCHED_LISTED_MAX = 1000;

export const playlistSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    comment: z.string(),
    owner: z.object({ id: z.string(), username: z.string() }),
    public: z.boolean(),
    songCount: z.number().int().describe('Entries the caller sees (files present, libraries visible).'),
    duration: z.number().int().describe('Seconds, of those entries.'),
    createdAt: isoTime,
    changedAt: isoTime,
    coverArtId: z
      .string()
      .nullable()
      .describe("Cover art id: the first entry's album; null for an empty playlist."),
    readonly: z.boolean().describe('True when the caller may not change it (not theirs, or imported).'),
    imported: z
      .boolean()
      .describe('Imported from an M3U file in a library; the file is the source of truth.'),
  })
  .meta({ id: 'Playlist' });

const entrySchema = z
  .object({
    position: z.number().int().describe('0-based position in the list as the caller sees it.'),
    track: activityTrackSchema,
  })
  .meta({ id: 'PlaylistEntry' });

const entryPage = page(entrySchema);

const playlistDetailSchema = playlistSchema
  .extend({ tracks: entryPage.describe('The first page of entries; GET /playlists/{id}/tracks for more.') })
  .meta({ id: 'PlaylistDetail' });

const nameField = z.string().trim().min(1).max(PLAYLIST_NAME_MAX);
const commentField = z.string().max(PLAYLIST_COMMENT_MAX);
const position = z.number().int().min(0).max(PLAYLIST_MAX_ENTRIES);

function playlistJson(playlist: Playlist): z.input<typeof playlistSchema> {
  return {
    id: playlist.id,
    name: playlist.name,
    comment: playlist.comment,
    owner: { id: playlist.ownerId, username: playlist.ownerName },
    public: playlist.public,
    songCount: playlist.songCount,
    duration: playlist.duration,
    createdAt: isoOrNull(playlist.createdAt)!,
    changedAt: isoOrNull(playlist.changedAt)!,
    coverArtId: playlist.coverAlbumId ?? null,
    readonly: playlist.readonly,
    imported: playlist.imported,
  };
}

/** One page of a playlist's entries (the whole list is checked for visibility, only the page is loaded). */
function entriesPage(
  services: Services,
  user: User,
  id: string,
  query: { limit: number; cursor?: string | undefined },
) {
  const playlist = getPlaylist(services.db, user, id);
  const start = query.cursor ? (cursorKey(query.cursor, ['number'])[0] as number) + 1 : 0;
  const ids = playlist.trackIds.slice(start, start + query.limit);
  // Same visibility as getPlaylist's, in the same synchronous step: every id loads.
  const tracks = tracksInOrder(services, user, ids);
  const more = start + query.limit < playlist.trackIds.length;
  return {
    playlist,
    tracks: {
      items: tracks.map((track, index) => ({ position: start + index, track })),
      nextCursor: more ? encodeCursor([start + ids.length - 1]) : null,
    },
  };
}

const entryChange = {
  tag: TAG,
  access: 'user',
  params: idParams,
  response: playlistSchema,
  errors: [404],
} as const;

export const playlistRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/playlists',
    tag: TAG,
    summary: "The caller's playlists and everyone's public ones",
    description: "By name, then id. `owner` (admins only, for someone else): only that user's playlists.",
    access: 'user',
    query: z.object({ ...pageQuery, owner: z.string().min(1).max(200).optional() }),
    response: page(playlistSchema),
    handle({ services, user, query }) {
      const after = query.cursor ? cursorKey(query.cursor, ['string', 'string']) : undefined;
      const playlists = listPlaylists(services.db, user, {
        ...(query.owner !== undefined ? { username: query.owner } : {}),
        ...(after ? { after: { name: after[0] as string, id: after[1] as string } } : {}),
        limit: query.limit + 1,
      });
      const items = playlists.slice(0, query.limit);
      const last = items[items.length - 1];
      return {
        items: items.map(playlistJson),
        nextCursor: playlists.length > query.limit && last ? encodeCursor([last.name, last.id]) : null,
      };
    },
  }),
  route({
    method: 'post',
    path: '/playlists',
    tag: TAG,
    summary: 'Create a playlist',
    access: 'user',
    status: 201,
    body: z.strictObject({
      name: nameField,
      comment: commentField.optional(),
      public: z.boolean().optional(),
      trackIds: trackIds.optional(),
    }),
    response: playlistSchema,
    errors: [404],
    handle({ services, user, body }) {
      const playlist = createPlaylist(services.db, user, {
        name: body.name,
        songIds: body.trackIds ?? [],
        ...(body.comment !== undefined ? { comment: body.comment } : {}),
        ...(body.public !== undefined ? { public: body.public } : {}),
      });
      return playlistJson(playlist);
    },
  }),
  route({
    method: 'post',
    path: '/playlists/import',
    tag: TAG,
    summary: 'Create a playlist from an M3U/M3U8 file',
    description:
      'The body is the file itself (UTF-8 text, up to 8 MiB). Entries are matched to tracks of the ' +
      "libraries the caller may see: absolute paths inside a library, paths relative to a library's " +
      'root, then the trailing folders and file name of paths written on another machine. The answer ' +
      'names the lines that matched nothing (the first 1000).',
    access: 'user',
    status: 201,
    consumes: 'audio/x-mpegurl',
    query: z.object({
      name: nameField.optional().describe('Default: the #PLAYLIST line, else "Imported playlist".'),
      public: queryBoolean.optional(),
    }),
    response: z
      .object({
        playlist: playlistSchema,
        matched: z.number().int(),
        unmatchedCount: z.number().int(),
        unmatched: z.array(z.object({ line: z.number().int(), entry: z.string() })),
      })
      .meta({ id: 'PlaylistImport' }),
    handle: async ({ ctx, services, user, query }) => {
      const text = await readBodyText(ctx, M3U_BODY_LIMIT);
      const result = await importPlaylistM3u(services.db, user, text, {
        ...(query.name !== undefined ? { name: query.name } : {}),
        ...(query.public !== undefined ? { public: query.public } : {}),
      });
      return {
        playlist: playlistJson(result.playlist),
        matched: result.matched,
        unmatchedCount: result.unmatched.length,
        unmatched: result.unmatched
          .slice(0, UNMATCHED_LISTED_MAX)
          .map((entry) => ({ line: entry.line, entry: entry.location })),
      };
    },
  }),
  route({
    method: 'get',
    path: '/playlists/:id',
    tag: TAG,
    summary: 'A playlist with the first page of its entries',
    access: 'user',
    params: idParams,
    query: z.object(pageQuery),
    response: playlistDetailSchema,
    errors: [404],
    handle({ services, user, params, query }) {
      const { playlist, tracks } = entriesPage(services, user, params.id, query);
      return { ...playlistJson(playlist), tracks };
    },
  }),
  route({
    method: 'get',
    path: '/playlists/:id/tracks',
    tag: TAG,
    summary: "A page of a playlist's entries, in order",
    access: 'user',
    params: idParams,
    query: z.object(pageQuery),
    response: entryPage,
    errors: [404],
    handle({ services, user, params, query }) {
      return entriesPage(services, user, params.id, query).tracks;
    },
  }),
  route({
    method: 'patch',
    path: '/playlists/:id',
    tag: TAG,
    summary: "Change a playlist's name, comment or visibility",
    access: 'user',
    params: idParams,
    body: z.strictObject({
      name: nameField.optional(),
      comment: commentField.optional(),
      public: z.boolean().optional(),
    }),
    response: playlistSchema,
    errors: [404],
    handle({ services, user, params, body }) {
      updatePlaylist(services.db, user, params.id, {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.comment !== undefined ? { comment: body.comment } : {}),
        ...(body.public !== undefined ? { public: body.public } : {}),
        songIndexesToRemove: [],
        songIdsToAdd: [],
      });
      return playlistJson(findPlaylist(services.db, user, params.id));
    },
  }),
  route({
    method: 'delete',
    path: '/playlists/:id',
    tag: TAG,
    summary: 'Delete a playlist (its owner, or an admin)',
    access: 'user',
    params: idParams,
    status: 204,
    errors: [404],
    handle({ services, user, params }) {
      deletePlaylist(services.db, user, params.id);
    },
  }),
  route({
    ...entryChange,
    method: 'post',
    path: '/playlists/:id/tracks',
    summary: 'Add tracks at a position or at the end',
    description: `At most ${PLAYLIST_MAX_ENTRIES} entries in a playlist.`,
    body: z.strictObject({
      trackIds: trackIds.min(1),
      position: position.optional().describe('Insert before the entry at this position; absent: at the end.'),
    }),
    handle({ services, user, params, body }) {
      insertPlaylistEntries(services.db, user, params.id, body.trackIds, body.position);
      return playlistJson(findPlaylist(services.db, user, params.id));
    },
  }),
  route({
    ...entryChange,
    method: 'delete',
    path: '/playlists/:id/tracks',
    summary: 'Remove entries by position',
    query: z.object({
      positions: queryList(
        z
          .string()
          .regex(/^\d{1,9}$/, 'a position is a whole number from 0')
          .transform(Number),
      )
        .pipe(z.array(z.number()).min(1).max(MAX_IDS_PER_REQUEST))
        .describe('Positions as the caller last saw the list: `?positions=0,3,3` (repeats count once).'),
    }),
    handle({ services, user, params, query }) {
      removePlaylistEntries(services.db, user, params.id, query.positions);
      return playlistJson(findPlaylist(services.db, user, params.id));
    },
  }),
  route({
    ...entryChange,
    method: 'post',
    path: '/playlists/:id/tracks/move',
    summary: 'Move a range of entries to another position',
    description:
      'Moves `count` entries starting at `from` so that the first of them is at position `to` ' +
      'afterwards (0 ≤ to ≤ entries − count). [a b c d e] with from 3, count 2, to 0 → [d e a b c].',
    body: z.strictObject({
      from: position,
      count: z.number().int().min(1).max(PLAYLIST_MAX_ENTRIES).default(1),
      to: position,
    }),
    handle({ services, user, params, body }) {
      movePlaylistEntries(services.db, user, params.id, body);
      return playlistJson(findPlaylist(services.db, user, params.id));
    },
  }),
  route({
    method: 'get',
    path: '/playlists/:id/m3u',
    tag: TAG,
    summary: 'The playlist as an M3U8 file',
    description:
      "Paths relative to each track's library root by default: saved in the library's root folder, " +
      'the file plays in any player that mounts the music, wherever it is mounted, and Tonearm imports ' +
      "it from there. `paths=absolute` (admins only) writes the server's own paths.",
    access: 'user',
    params: idParams,
    query: z.object({ paths: z.enum(['relative', 'absolute']).default('relative') }),
    produces: ['audio/x-mpegurl'],
    errors: [404],
    handle({ ctx, services, user, params, query }) {
      const { name, text } = exportPlaylistM3u(services.db, user, params.id, query.paths);
      ctx.attachment(`${name.replace(/[/\\\u0000-\u001f\u007f]/g, '_')}.m3u8`);
      ctx.type = 'audio/x-mpegurl; charset=utf-8';
      ctx.body = text;
    },
  }),
];
