// Importing a ListenBrainz or Last.fm export (src/listening/history-import.ts) into a real database, and
// through `tonearm history import` and POST /api/v1/me/listening/import: every supported shape of file;
// matching by MusicBrainz id before names, names normalised (accents, case, "feat." credits, version
// suffixes), the same album preferred; a report of what matched and what did not; a second import adds
// nothing; files that are no history are refused with a clear message.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createUser, type User } from '../../src/accounts/users.service.ts';
import { Database, databaseFile } from '../../src/db/database.ts';
import { importHistory, parseHistory } from '../../src/listening/history-import.ts';
import { albumRow, artistRow, folderRow, trackRow } from '../helpers/catalog-rows.ts';
import { runCli } from '../helpers/cli.ts';
import { makeTempDatabase } from '../helpers/http.ts';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const MBID = '6c5d1f9b-1e2a-4c3b-9d4e-5f6a7b8c9d0e';

const TRACKS = [
  { id: 'tr-cafe', title: 'Café del Mar', artist: 'Energy 52', album: 'Café del Mar', mbid: MBID },
  { id: 'tr-pa', title: 'Paranoid Android', artist: 'Radiohead', album: 'OK Computer' },
  { id: 'tr-pa2', title: 'Paranoid Android', artist: 'Radiohead', album: 'OK Computer OKNOTOK 1997 2017' },
  { id: 'tr-lucky', title: 'Get Lucky', artist: 'Daft Punk', album: 'Random Access Memories' },
  { id: 'tr-deja', title: 'Déjà Vu', artist: 'Beyoncé', album: "B'Day" },
];

function seedCatalog(db: Database): void {
  const q = db.kysely;
  db.run(q.insertInto('library').values({ id: 1, name: 'Music', path: '/music', created_at: NOW }));
  db.run(q.insertInto('folder').values(folderRow({ id: 'fo-1', library_id: 1, path: 'm', name: 'm' }, NOW)));
  for (const track of TRACKS) {
    const artistId = `ar-${track.artist}`;
    const albumId = `al-${track.album}`;
    db.run(
      q
        .insertInto('artist')
        .values(artistRow({ id: artistId, name: track.artist }, NOW))
        .onConflict((c) => c.doNothing()),
    );
    db.run(
      q
        .insertInto('album')
        .values(
          albumRow({ id: albumId, name: track.album, artist_id: artistId, artist_name: track.artist }, NOW),
        ),
    );
    db.run(
      q.insertInto('track').values(
        trackRow(
          {
            id: track.id,
            library_id: 1,
            folder_id: 'fo-1',
            path: `m/${track.id}.flac`,
            title: track.title,
            album_id: albumId,
            album_name: track.album,
            artist_id: artistId,
            artist_name: track.artist,
            album_artist_name: track.artist,
            duration: 240,
            mbz_recording_id: track.mbid ?? null,
          },
          NOW,
        ),
      ),
    );
  }
}

const uts = (daysAgo: number) => Math.floor((NOW - daysAgo * 86_400_000) / 1000);

const listenBrainz = JSON.stringify([
  // By MusicBrainz id, whatever the names say.
  {
    listened_at: uts(10),
    track_metadata: {
      artist_name: 'E52',
      track_name: 'Cafe (edit)',
      additional_info: { recording_mbid: MBID },
    },
  },
  {
    listened_at: uts(9),
    track_metadata: {
      artist_name: 'Radiohead',
      track_name: 'Paranoid Android',
      release_name: 'OK Computer OKNOTOK 1997 2017',
    },
  },
  { listened_at: uts(8), track_metadata: { artist_name: 'Beyonce feat. Jay-Z', track_name: 'DEJA VU' } },
  { listened_at: uts(7), track_metadata: { artist_name: 'Nobody Known', track_name: 'Nothing Here' } },
  { listened_at: uts(6), track_metadata: { artist_name: 'Nobody Known', track_name: 'Nothing Here' } },
  { track_metadata: { artist_name: 'Radiohead', track_name: 'Paranoid Android' } },
]);

const listenBrainzLines = [
  { listened_at: uts(5), track_metadata: { artist_name: 'Daft Punk', track_name: 'Get Lucky (Radio Edit)' } },
  {
    listened_at: uts(4),
    track_metadata: { artist_name: 'Radiohead', track_name: 'Paranoid Android', release_name: 'OK Computer' },
  },
]
  .map((line) => JSON.stringify(line))
  .join('\n');

const lastFmJson = JSON.stringify([
  {
    recenttracks: {
      track: [
        { artist: { '#text': 'Daft Punk' }, name: 'Get Lucky', '@attr': { nowplaying: 'true' } },
        {
          artist: { '#text': 'Daft Punk feat. Pharrell Williams', mbid: '' },
          name: 'Get Lucky - Radio Edit',
          album: { '#text': 'Get Lucky' },
          mbid: '',
          date: { uts: String(uts(3)), '#text': '28 Nov 2026, 12:00' },
        },
      ],
    },
  },
]);

const lastFmCsvWithHeader = [
  'uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid',
  `${uts(2)},"28 Nov 2026, 12:00",Radiohead,,OK Computer,,Paranoid Android,`,
  `${uts(1)},"29 Nov 2026, 12:00","Energy 52",,"Café del Mar",,"Café del Mar",${MBID}`,
].join('\n');

const lastFmCsvNoHeader = [
  'Radiohead,OK Computer,Paranoid Android,01 Nov 2026 14:03',
  "Beyoncé,B'Day,Déjà Vu,02 Nov 2026 09:15",
].join('\n');

async function setUp(): Promise<{ db: Database; user: User; cleanup(): Promise<void> }> {
  const { db, cleanup } = await makeTempDatabase();
  seedCatalog(db);
  const user = await createUser(db, { username: 'importer', password: 'importer-pass' });
  return { db, user, cleanup };
}

const playsOf = (db: Database, user: User, trackId: string) =>
  (db.sqlite
    .prepare('SELECT plays FROM listen_stat WHERE user_id = ? AND track_id = ?')
    .pluck()
    .get(user.id, trackId) as number | undefined) ?? 0;

describe('history import', () => {
  it('imports a ListenBrainz export: MusicBrainz ids first, then names normalised, the same album preferred', async () => {
    const { db, user, cleanup } = await setUp();
    try {
      const report = await importHistory(db, user, listenBrainz, NOW);
      assert.deepEqual(
        { ...report, unmatchedTop: undefined },
        {
          format: 'listenbrainz',
          total: 6,
          matched: 3,
          byMbid: 1,
          byName: 2,
          alreadyImported: 0,
          invalid: 1,
          unmatched: 2,
          unmatchedTop: undefined,
        },
      );
      assert.deepEqual(report.unmatchedTop, [{ artist: 'Nobody Known', title: 'Nothing Here', count: 2 }]);
      assert.equal(playsOf(db, user, 'tr-cafe'), 1);
      assert.equal(playsOf(db, user, 'tr-pa2'), 1, 'the listen named its album');
      assert.equal(playsOf(db, user, 'tr-pa'), 0);
      assert.equal(playsOf(db, user, 'tr-deja'), 1);
      const listen = db.sqlite
        .prepare("SELECT started_at, outcome, source FROM listen WHERE track_id = 'tr-cafe'")
        .get() as { started_at: number; outcome: string; source: string };
      assert.deepEqual(listen, { started_at: uts(10) * 1000, outcome: 'play', source: 'import' });

      const again = await importHistory(db, user, listenBrainz, NOW);
      assert.equal(again.alreadyImported, 3, 'a second import adds nothing');
      assert.equal(playsOf(db, user, 'tr-cafe'), 1);
    } finally {
      await cleanup();
    }
  });

  it('reads JSON lines, Last.fm JSON pages and Last.fm CSV with and without a header', async () => {
    const { db, user, cleanup } = await setUp();
    try {
      const lines = await importHistory(db, user, listenBrainzLines, NOW);
      assert.equal(lines.format, 'listenbrainz');
      assert.equal(lines.matched, 2);
      const json = await importHistory(db, user, lastFmJson, NOW);
      assert.deepEqual(
        [json.format, json.total, json.matched],
        ['lastfm-json', 1, 1],
        'now playing is no listen',
      );
      const csv = await importHistory(db, user, lastFmCsvWithHeader, NOW);
      assert.deepEqual([csv.format, csv.matched, csv.byMbid], ['lastfm-csv', 2, 1]);
      const bare = await importHistory(db, user, lastFmCsvNoHeader, NOW);
      assert.deepEqual([bare.format, bare.matched, bare.invalid], ['lastfm-csv', 2, 0]);
      assert.equal(playsOf(db, user, 'tr-lucky'), 2);
      assert.equal(playsOf(db, user, 'tr-pa'), 3);
      const started = db.sqlite
        .prepare("SELECT started_at FROM listen WHERE track_id = 'tr-deja'")
        .pluck()
        .get() as number;
      assert.equal(started, Date.UTC(2026, 10, 2, 9, 15), 'a date without a zone is UTC');
    } finally {
      await cleanup();
    }
  });

  it('refuses what is no listening history, with a message', () => {
    assert.throws(() => parseHistory(''), /empty/);
    assert.throws(() => parseHistory('{"playlists": []}'), /not a listening history/);
    assert.throws(() => parseHistory('[{"broken": '), /neither JSON nor JSON lines/);
  });

  it('runs as `tonearm history import`, with a report, and refuses unknown users and files', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-history-'));
    try {
      const add = await runCli(['user', 'add', 'alice', '--password', 'pw', '--data', data]);
      assert.equal(add.code, 0, add.stderr);
      const db = Database.open(databaseFile(data));
      seedCatalog(db);
      await db.close();
      const file = path.join(data, 'listens.json');
      fs.writeFileSync(file, listenBrainz);
      const result = await runCli(['history', 'import', 'alice', file, '--data', data]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /listenbrainz export: 6 listens/);
      assert.match(result.stdout, /matched 3 \(1 by MusicBrainz id, 2 by artist and title\), 3 new/);
      assert.match(result.stdout, /2 {2}Nobody Known — Nothing Here/);
      const json = await runCli(['history', 'import', 'alice', file, '--data', data, '--json']);
      assert.equal(JSON.parse(json.stdout).alreadyImported, 3);
      const nobody = await runCli(['history', 'import', 'nobody', file, '--data', data]);
      assert.equal(nobody.code, 1);
      assert.match(nobody.stderr, /no user nobody/);
      const missing = await runCli([
        'history',
        'import',
        'alice',
        path.join(data, 'none.json'),
        '--data',
        data,
      ]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /cannot read/);
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});
