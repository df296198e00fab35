import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import type { ScanProgress, ScanStatusSource } from '../../src/library/scan-status.ts';
import { albumRow, artistRow, folderRow, trackRow } from '../helpers/catalog-rows.ts';
import { startTestServer, subsonicUrl, type TestServer, waitFor } from '../helpers/http.ts';

const ALICE = { u: 'alice', p: 'sesame', v: '1.16.1', c: 'test', f: 'json' };

function insertCatalog(db: Database, tracks: number): void {
  const q = db.kysely;
  const now = Date.now();
  db.transaction(() => {
    db.run(q.insertInto('library').values({ name: 'Music', path: '/music', created_at: now }));
    db.run(q.insertInto('library').values({ name: 'Audiobooks', path: '/books', created_at: now }));
    db.run(
      q.insertInto('folder').values(folderRow({ id: 'fo-1', library_id: 1, path: '', name: 'Music' }, now)),
    );
    for (const id of ['ar-1', 'ar-2']) {
      db.run(q.insertInto('artist').values(artistRow({ id, name: id, sort_name: id, order_name: id }, now)));
    }
    db.run(
      q.insertInto('album').values(
        albumRow(
          {
            id: 'al-1',
            name: 'Album',
            sort_name: 'album',
            order_name: 'album',
            artist_id: 'ar-1',
            artist_name: 'ar-1',
            order_artist_name: 'ar-1',
            year: 2020,
            genre: 'Rock',
          },
          now,
        ),
      ),
    );
    db.run(q.insertInto('genre').values({ id: 'ge-1', name: 'Rock' }));
    for (let n = 1; n <= tracks; n++) {
      db.run(
        q.insertInto('track').values(
          trackRow(
            {
              id: `tr-${n}`,
              library_id: 1,
              folder_id: 'fo-1',
              path: `${n}.flac`,
              file_size: 1,
              title: `T${n}`,
              sort_title: `t${n}`,
              order_title: `t${n}`,
              album_id: 'al-1',
              album_name: 'Album',
              artist_id: 'ar-1',
              artist_name: 'ar-1',
              album_artist_name: 'ar-1',
              track_number: n,
              year: 2020,
              genre: 'Rock',
              duration: 1,
            },
            now,
          ),
        ),
      );
    }
  });
}

/** The value of one sample line, e.g. metric('x_total{a="b"}'); undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  let server: TestServer;
  const progress: ScanProgress = {
    scanning: true,
    phase: 'reading',
    full: false,
    startedAt: 1_000,
    filesSeen: 120,
    filesToRead: 50,
    filesRead: 30,
    folders: 12,
    errors: 2,
    lastReport: {
      startedAt: 1_700_000_000_000,
      finishedAt: 1_700_000_042_500,
      full: true,
      filesSeen: 100,
      folders: 10,
      added: 100,
      updated: 0,
      removed: 0,
      moved: 0,
      unchanged: 0,
      errors: [],
      offline: [],
      keptBack: [],
      rowsWritten: 400,
      durationMs: 42_500,
    },
  };
  const scanStatus: ScanStatusSource = { progress: () => progress };

  before(async () => {
    server = await startTestServer({
      users: [{ username: 'alice', password: 'sesame' }],
      services: { scanStatus },
    });
  });
  after(() => server.close());

  const scrape = async (): Promise<string> => {
    const response = await fetch(`${server.baseUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    return response.text();
  };

  test('requests are counted by route pattern and status, not by raw URL', async () => {
    await fetch(subsonicUrl(server, 'ping', ALICE));
    await fetch(subsonicUrl(server, 'ping.view', ALICE));
    await fetch(subsonicUrl(server, 'ping.view', { ...ALICE, p: 'wrong' }));
    await fetch(subsonicUrl(server, 'randomThing1', ALICE));
    await fetch(subsonicUrl(server, 'randomThing2', ALICE));
    await fetch(`${server.baseUrl}/health`);
    await fetch(`${server.baseUrl}/api/does/not/exist`);
    // Metrics are recorded when a response closes; the access-log line is written at the same moment.
    await waitFor(() => server.logLines().filter((line) => line.msg === 'request').length >= 7);
    const text = await scrape();
    assert.equal(
      sample(text, 'tonearm_http_requests_total{method="GET",route="/rest/ping",status="200"}'),
      3,
    );
    assert.equal(sample(text, 'tonearm_http_requests_total{method="GET",route="/rest/*",status="200"}'), 2);
    assert.equal(sample(text, 'tonearm_http_requests_total{method="GET",route="/health",status="200"}'), 1);
    assert.equal(sample(text, 'tonearm_http_requests_total{method="GET",route="unmatched",status="404"}'), 1);
    assert.ok(!text.includes('randomThing'), 'unknown endpoints do not become label values');
    assert.ok(!text.includes('sesame'));
    assert.equal(
      sample(text, 'tonearm_http_request_duration_seconds_count{method="GET",route="/rest/ping"}'),
      3,
    );
    assert.ok(text.includes('process_cpu_user_seconds_total'), 'default process metrics are there');
  });

  test('library gauges count the real rows when scraped', async () => {
    const before = await scrape();
    assert.equal(sample(before, 'tonearm_library_items{kind="tracks"}'), 0);
    insertCatalog(server.db, 3);
    const text = await scrape();
    assert.equal(sample(text, 'tonearm_library_items{kind="tracks"}'), 3);
    assert.equal(sample(text, 'tonearm_library_items{kind="albums"}'), 1);
    assert.equal(sample(text, 'tonearm_library_items{kind="artists"}'), 2);
    assert.equal(sample(text, 'tonearm_library_items{kind="genres"}'), 1);
    assert.equal(sample(text, 'tonearm_library_items{kind="libraries"}'), 2);
  });

  test('each library is online (1) or offline (0), read when scraped', async () => {
    const text = await scrape();
    assert.equal(sample(text, 'tonearm_library_online{library="Music"}'), 1);
    assert.equal(sample(text, 'tonearm_library_online{library="Audiobooks"}'), 1);
    server.db
      .prepare(
        "UPDATE library SET offline_since = 1, offline_reason = 'folder missing' WHERE name = 'Audiobooks'",
      )
      .run();
    const offline = await scrape();
    assert.equal(sample(offline, 'tonearm_library_online{library="Music"}'), 1);
    assert.equal(sample(offline, 'tonearm_library_online{library="Audiobooks"}'), 0);
  });

  test('scan figures come from the scan status source', async () => {
    let text = await scrape();
    assert.equal(sample(text, 'tonearm_scan_running'), 1);
    assert.equal(sample(text, 'tonearm_scan_files_seen'), 120);
    assert.equal(sample(text, 'tonearm_scan_files_read'), 30);
    assert.equal(sample(text, 'tonearm_scan_errors'), 2);
    assert.equal(sample(text, 'tonearm_scan_last_duration_seconds'), 42.5);
    assert.equal(sample(text, 'tonearm_scan_last_finished_timestamp_seconds'), 1_700_000_042.5);
    progress.scanning = false;
    text = await scrape();
    assert.equal(sample(text, 'tonearm_scan_running'), 0);
  });

  test('a second app in the same process has its own registry', async () => {
    const other = await startTestServer();
    try {
      const text = await (await fetch(`${other.baseUrl}/metrics`)).text();
      assert.equal(
        sample(text, 'tonearm_http_requests_total{method="GET",route="/rest/ping",status="200"}'),
        undefined,
      );
      assert.equal(sample(text, 'tonearm_library_items{kind="tracks"}'), 0);
      assert.ok(!text.includes('tonearm_scan_running'), 'no scan series without a scan status source');
    } finally {
      await other.close();
    }
  });
});
