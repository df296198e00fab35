// Acceptance test over a realistic corpus (test/helpers/real-corpus.ts): full-length files made by the real
// encoders and taggers, scanned by the real scanner into a real database behind the real Subsonic API.
// Every file must be imported with its tags, a duration within 1 s of ffprobe's, its bit rate, sample rate,
// channels, cover and ReplayGain; a rescan with nothing changed writes no rows.
// A missing encoder or tagger fails this file, naming the Debian package to install.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureSearchIndex } from '../../src/catalog/search.ts';
import { loadConfig } from '../../src/config/load.ts';
import { syncLibraries } from '../../src/library/library.repository.ts';
import { Scanner } from '../../src/library/scanner.ts';
import type { ScanReport } from '../../src/library/scan-status.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { jpegSize } from '../helpers/audio.ts';
import { subsonicJson, subsonicUrl, startTestServer, type TestServer } from '../helpers/http.ts';
import { type CorpusEntry, DURATION_TOLERANCE_SEC, realCorpus } from '../helpers/real-corpus.ts';

const corpus = await realCorpus();
const ADMIN = { username: 'admin', password: 'admin-pass' };
const AUTH = { u: ADMIN.username, p: ADMIN.password, v: '1.16.1', c: 'real-corpus-test' };
const GAIN_TOLERANCE_DB = 0.01;

interface TrackRow {
  id: string;
  title: string;
  album_name: string;
  album_artist_name: string;
  track_number: number | null;
  disc_number: number;
  duration: number;
  bitrate: number | null;
  sample_rate: number | null;
  channels: number | null;
  has_embedded_art: number;
  rg_track_gain: number | null;
  rg_album_gain: number | null;
  mbz_album_id: string | null;
}

let server: TestServer;
let scanner: Scanner;
let firstScan: ScanReport;

before(async () => {
  server = await startTestServer({ logLevel: 'warn', users: [{ ...ADMIN, isAdmin: true }] });
  const { config } = loadConfig({
    env: {},
    flags: { music: [{ name: 'corpus', path: corpus.root }], dataDir: server.dir, logLevel: 'silent' },
  });
  syncLibraries(server.db, config.music, Date.now());
  ensureSearchIndex(server.db);
  scanner = new Scanner({ db: server.db, config, logger: silentLogger });
  firstScan = await scanner.scan();
});
after(async () => {
  await server?.close();
});

const trackAt = (relPath: string) =>
  server.db.prepare('SELECT * FROM track WHERE path = ?').get(relPath) as TrackRow | undefined;

/** Why the scan did not import a file, as its report says. */
function notImported(entry: CorpusEntry): string {
  const error = firstScan.errors.find((item) => item.path === entry.path);
  return `${entry.path}: not imported (${error ? `scan report: ${error.reason}` : 'not in the scan report'}); made by ${entry.made}`;
}

/** Every field that differs from the expectation, as "field: expected X, got Y". */
function differences(entry: CorpusEntry, row: TrackRow): string[] {
  const want = entry.expect;
  const found: string[] = [];
  const same = (field: string, expected: unknown, got: unknown) => {
    if (JSON.stringify(expected) !== JSON.stringify(got))
      found.push(`${field}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
  };
  same('title', want.title, row.title);
  const artists = server.db
    .prepare(
      "SELECT a.name FROM track_artist ta JOIN artist a ON a.id = ta.artist_id WHERE ta.track_id = ? AND ta.role = 'artist' ORDER BY ta.position",
    )
    .pluck()
    .all(row.id);
  same('artists', want.artists, artists);
  same('album', want.album, row.album_name);
  same('album artist', want.albumArtist, row.album_artist_name);
  same('track', want.track, row.track_number);
  same('disc', want.disc, row.disc_number);
  if (!(Math.abs(row.duration - want.duration) <= DURATION_TOLERANCE_SEC))
    found.push(
      `duration: expected ${want.duration.toFixed(2)} s (ffprobe) ±${DURATION_TOLERANCE_SEC} s, got ${row.duration}`,
    );
  const allowed = Math.max(1, want.bitrate * want.bitrateTolerance);
  if (row.bitrate === null || !(Math.abs(row.bitrate - want.bitrate) <= allowed))
    found.push(
      `bitrate: expected ${want.bitrate} kbit/s ±${Math.round(want.bitrateTolerance * 100)}%, got ${row.bitrate}`,
    );
  same('sample rate', want.sampleRate, row.sample_rate);
  same('channels', want.channels, row.channels);
  same('has cover', want.hasCover, row.has_embedded_art === 1);
  for (const [field, expected, got] of [
    ['ReplayGain track gain (dB)', want.trackGain, row.rg_track_gain],
    ['ReplayGain album gain (dB)', want.albumGain, row.rg_album_gain],
  ] as const) {
    const ok =
      expected === null ? got === null : got !== null && Math.abs(got - expected) <= GAIN_TOLERANCE_DB;
    if (!ok) found.push(`${field}: expected ${expected}, got ${got}`);
  }
  same('MusicBrainz album id', want.mbzAlbumId, row.mbz_album_id);
  return found;
}

function failWith(entry: CorpusEntry, problems: string[]): void {
  if (problems.length > 0) assert.fail(`${entry.path} (made by ${entry.made}):\n  ${problems.join('\n  ')}`);
}

describe('real corpus: the scanner imports every file right', () => {
  it('imports every file and reports none as broken', () => {
    const imported = corpus.entries.filter((entry) => trackAt(entry.path)).length;
    assert.deepEqual(
      firstScan.errors.map((error) => `${error.path}: ${error.reason}`),
      [],
      `${firstScan.errors.length} of ${corpus.entries.length} files reported as not importable`,
    );
    assert.equal(imported, corpus.entries.length, `${imported} of ${corpus.entries.length} files imported`);
    assert.equal(firstScan.filesSeen, corpus.entries.length);
  });

  for (const entry of corpus.entries) {
    it(entry.path, () => {
      const row = trackAt(entry.path);
      if (!row) assert.fail(notImported(entry));
      failWith(entry, differences(entry, row));
    });
  }

  it('writes no rows when nothing changed', async () => {
    const before = server.db.totalChanges();
    const again = await scanner.scan();
    assert.equal(again.rowsWritten, 0, 'rows written by a rescan of an unchanged corpus');
    assert.equal(server.db.totalChanges(), before);
    assert.equal(again.added + again.updated + again.removed + again.moved, 0);
  });
});

describe('real corpus: through the Subsonic API', () => {
  // The first file of each container that carries a cover.
  const picks = new Map<string, CorpusEntry>();
  for (const entry of corpus.entries) {
    const suffix = entry.path.split('.').pop()!;
    if (entry.expect.hasCover && !picks.has(suffix)) picks.set(suffix, entry);
  }

  for (const entry of picks.values()) {
    it(`getSong and getCoverArt: ${entry.path}`, async () => {
      const row = trackAt(entry.path);
      if (!row) assert.fail(notImported(entry));
      const answer = await subsonicJson(server, 'getSong', { ...AUTH, id: row.id });
      assert.equal(answer.status, 'ok', JSON.stringify(answer));
      const song = answer.song as Record<string, unknown>;
      const want = entry.expect;
      const problems: string[] = [];
      if (!(Math.abs(Number(song.duration) - want.duration) <= DURATION_TOLERANCE_SEC))
        problems.push(`getSong duration: expected ${Math.round(want.duration)}, got ${song.duration}`);
      if (
        !(Math.abs(Number(song.bitRate) - want.bitrate) <= Math.max(1, want.bitrate * want.bitrateTolerance))
      )
        problems.push(`getSong bitRate: expected ${want.bitrate}, got ${song.bitRate}`);
      if (song.samplingRate !== want.sampleRate)
        problems.push(`getSong samplingRate: expected ${want.sampleRate}, got ${song.samplingRate}`);
      if (song.channelCount !== want.channels)
        problems.push(`getSong channelCount: expected ${want.channels}, got ${song.channelCount}`);
      if (typeof song.coverArt !== 'string' || song.coverArt === '')
        problems.push(`getSong coverArt: expected an id, got ${JSON.stringify(song.coverArt)}`);
      else {
        const response = await fetch(subsonicUrl(server, 'getCoverArt', { ...AUTH, id: song.coverArt }));
        const bytes = Buffer.from(await response.arrayBuffer());
        const type = response.headers.get('content-type') ?? '';
        if (response.status !== 200 || !type.startsWith('image/'))
          problems.push(
            `getCoverArt: expected an image, got HTTP ${response.status} ${type}: ${bytes.toString('utf8', 0, 200)}`,
          );
        else if (type === 'image/jpeg') {
          const { width, height } = jpegSize(bytes);
          if (width < 100 || height < 100) problems.push(`getCoverArt: a ${width}×${height} JPEG`);
        } else if (bytes.length < 1000) problems.push(`getCoverArt: only ${bytes.length} bytes of ${type}`);
      }
      failWith(entry, problems);
    });
  }
});
