// The idle memory release (src/app/idle-memory.ts): once the server has been idle for a while after work,
// one memory-reducing collection shrinks V8's young generation back from the size work grew it to; not
// while work goes on, not twice for the same stretch of work; kept answers (beforeRelease) go with it. The
// clock is passed in.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import v8 from 'node:v8';
import { IdleMemoryRelease } from '../../src/app/idle-memory.ts';
import { silentLogger } from '../../src/shared/logger.ts';

function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_size;
}

/** Work that keeps many young objects alive for a while, which makes V8 grow its young generation. */
function allocate(): number {
  let kept: { index: number; text: string }[] = [];
  let total = 0;
  for (let index = 0; index < 3_000_000; index++) {
    kept.push({ index, text: `item ${index}` });
    if (kept.length === 50_000) {
      total += kept.length;
      kept = [];
    }
  }
  return total;
}

it('gives the young generation back once idle after work, once per stretch of work', () => {
  let scanning = false;
  let answersDropped = 0;
  const release = new IdleMemoryRelease({
    logger: silentLogger,
    busy: () => scanning,
    idleMs: 10_000,
    beforeRelease: () => answersDropped++,
  });
  const start = Date.now();
  release.noteActivity(start);
  allocate();
  const grown = youngGenerationBytes();
  assert.ok(grown > 2 * 2 ** 20, `the work grew the young generation (${grown} bytes)`);

  assert.equal(release.releaseIfIdle(start + 9_999), false, 'not idle long enough');
  scanning = true;
  assert.equal(release.releaseIfIdle(start + 20_000), false, 'a scan running is not idle');
  scanning = false;
  assert.equal(release.releaseIfIdle(start + 29_999), false, 'the scan counted as activity');
  assert.equal(answersDropped, 0);
  assert.equal(release.releaseIfIdle(start + 30_000), true);
  assert.equal(release.releases, 1);
  assert.equal(answersDropped, 1, 'kept answers are dropped with the release');
  const shrunk = youngGenerationBytes();
  assert.ok(shrunk < grown / 2, `young generation ${grown} -> ${shrunk} bytes`);

  assert.equal(release.releaseIfIdle(start + 60_000), false, 'nothing ran since: no second collection');
  release.noteActivity(start + 61_000);
  assert.equal(release.releaseIfIdle(start + 71_000), true, 'new work, new release');
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'no gc global left behind');
});
