// M3U text read and written (src/activity/m3u.ts): what a written file reads back as, and the paths an
// entry may mean.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatM3u, parseM3uText, pathCandidates, pathSuffixCandidates } from '../../src/activity/m3u.ts';

test('a written playlist reads back to the same locations, whatever the names hold', () => {
  const text = formatM3u('Line\nbreak', [
    { duration: 61.6, artist: 'A', title: 'One', location: 'A/One.mp3' },
    { duration: 5, artist: '', title: 'Hash', location: '#1 Hit.mp3' },
    { duration: 5, artist: 'B', title: 'Bad', location: 'bad\nname.mp3' },
  ]);
  assert.equal(
    text,
    '#EXTM3U\n#PLAYLIST:Line break\n#EXTINF:62,A - One\nA/One.mp3\n#EXTINF:5,Hash\n./#1 Hit.mp3\n',
  );
  const parsed = parseM3uText(text);
  assert.equal(parsed.name, 'Line break');
  assert.deepEqual(parsed.entries, [
    { line: 4, location: 'A/One.mp3' },
    { line: 6, location: './#1 Hit.mp3' },
  ]);
  const bases = [{ libraryId: 1, dir: '' }];
  assert.deepEqual(pathCandidates('./#1 Hit.mp3', bases, []), [{ libraryId: 1, relPath: '#1 Hit.mp3' }]);
});

test('absolute entries match inside a library root only; relative ones never climb out of it', () => {
  const libraries = [{ id: 2, roots: ['/music', '/mnt/real-music'] }];
  const bases = [{ libraryId: 2, dir: 'lists' }];
  assert.deepEqual(pathCandidates('/mnt/real-music/A/x.flac', bases, libraries), [
    { libraryId: 2, relPath: 'A/x.flac' },
  ]);
  assert.deepEqual(pathCandidates('/elsewhere/x.flac', bases, libraries), []);
  assert.deepEqual(pathCandidates('../../etc/passwd', bases, libraries), []);
  assert.deepEqual(pathCandidates('../A/x.flac', bases, libraries), [{ libraryId: 2, relPath: 'A/x.flac' }]);
  assert.deepEqual(pathCandidates('https://radio.example/live', bases, libraries), []);
});

test('a path from another machine yields its trailing parts, longest first, down to a folder and a file', () => {
  assert.deepEqual(
    pathSuffixCandidates('C:\\Users\\me\\Music\\A\\x.flac', [1]).map((candidate) => candidate.relPath),
    ['me/Music/A/x.flac', 'Music/A/x.flac', 'A/x.flac'],
  );
  assert.deepEqual(pathSuffixCandidates('x.flac', [1]), []);
  assert.deepEqual(pathSuffixCandidates('/a/../../b/c.flac', [1]), []);
});
