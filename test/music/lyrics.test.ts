// Lyrics text as the scanner reads it from tags, .lrc and .txt files: LRC (synced, with metadata and an
// offset), enhanced LRC (word stamps inside lines) and plain text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLyricsText } from '../../src/music/lyrics.ts';

describe('LRC', () => {
  it('reads line stamps of minutes, seconds and hundredths or milliseconds, sorted by time', () => {
    const set = parseLyricsText('[00:03.50]Third\n[00:01.123]First\n[1:02]Late\n[00:02:25]Colon', 'lrc')!;
    assert.equal(set.synced, true);
    assert.deepEqual(set.lines, [
      { start: 1123, value: 'First' },
      { start: 2250, value: 'Colon' },
      { start: 3500, value: 'Third' },
      { start: 62000, value: 'Late' },
    ]);
  });

  it('repeats a line for each of its stamps and keeps instrumental gaps as empty lines', () => {
    const set = parseLyricsText('[00:01.00][00:05.00]Chorus\n[00:03.00]\n', 'lrc')!;
    assert.deepEqual(set.lines, [
      { start: 1000, value: 'Chorus' },
      { start: 3000, value: '' },
      { start: 5000, value: 'Chorus' },
    ]);
  });

  it('takes offset, language, artist and title from metadata tags and leaves them out of the text', () => {
    const set = parseLyricsText(
      '\uFEFF[ar:Portishead]\r\n[ti:Roads]\r\n[al:Dummy]\r\n[la:EN]\r\n[offset:-300]\r\n[00:00.50]Oh',
      'lrc',
    )!;
    assert.equal(set.source, 'lrc');
    assert.equal(set.offset, -300);
    assert.equal(set.lang, 'en');
    assert.equal(set.displayArtist, 'Portishead');
    assert.equal(set.displayTitle, 'Roads');
    assert.deepEqual(set.lines, [{ start: 500, value: 'Oh' }]);
  });

  it('ignores a language that is not a language code and an offset that is not a number', () => {
    const set = parseLyricsText('[lang:english]\n[offset:soon]\n[00:01.00]x', 'lrc')!;
    assert.equal(set.lang, 'und');
    assert.equal(set.offset, 0);
  });
});

describe('enhanced LRC', () => {
  it('is synced by its line stamps; the word stamps stay in the text (no word timing is served)', () => {
    const set = parseLyricsText('[00:01.00]<00:01.00>Hello <00:01.50>world\n[00:02.00]<00:02.00>Bye', 'lrc')!;
    assert.equal(set.synced, true);
    assert.deepEqual(
      set.lines.map((line) => line.start),
      [1000, 2000],
    );
    assert.equal(set.lines[0]!.value, '<00:01.00>Hello <00:01.50>world');
  });
});

describe('plain text', () => {
  it('is unsynced, keeps inner blank lines and drops blank edges', () => {
    const set = parseLyricsText('\n\nOne\r\n\r\nTwo  \n\n', 'txt')!;
    assert.equal(set.synced, false);
    assert.equal(set.offset, 0);
    assert.deepEqual(
      set.lines.map((line) => line.value),
      ['One', '', 'Two'],
    );
    assert.ok(set.lines.every((line) => line.start === undefined));
  });

  it('is what a text with a stamp in the middle of a line is, not LRC', () => {
    const set = parseLyricsText('Intro [00:01.00] in the middle', 'embedded')!;
    assert.equal(set.synced, false);
    assert.deepEqual(set.lines, [{ value: 'Intro [00:01.00] in the middle' }]);
  });

  it('is nothing when there is no text', () => {
    assert.equal(parseLyricsText('', 'txt'), undefined);
    assert.equal(parseLyricsText(' \n\t\n', 'embedded'), undefined);
    assert.equal(parseLyricsText('[ar:Someone]\n[ti:Title]\n', 'lrc'), undefined);
  });
});
