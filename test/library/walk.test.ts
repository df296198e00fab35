// Path helpers of the walk: prefixesOf (the scanner's "is this track under an unreadable entry?") gives
// what checking every entry with isUnder gives, for paths that share prefixes as text but not as folders.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnder, prefixesOf } from '../../src/library/walk.ts';
import { seededRandom } from '../helpers/random.ts';

describe('prefixesOf', () => {
  it('finds the same entries as isUnder against each of them', () => {
    const random = seededRandom(10);
    const names = ['a', 'a b', 'ab', 'a.b', 'b', 'CD 1', 'é'];
    const pathOf = () =>
      Array.from(
        { length: 1 + Math.floor(random() * 4) },
        () => names[Math.floor(random() * names.length)]!,
      ).join('/');
    const paths = Array.from({ length: 2000 }, pathOf);
    for (const withRoot of [false, true]) {
      const prefixes = new Set(Array.from({ length: 40 }, pathOf));
      if (withRoot) prefixes.add('');
      for (const relPath of paths) {
        const expected = [...prefixes].filter((prefix) => isUnder(relPath, prefix)).sort();
        assert.deepEqual(prefixesOf(relPath, prefixes).sort(), expected, relPath);
      }
    }
    assert.deepEqual(prefixesOf('a/b/c.mp3', new Set()), []);
    assert.deepEqual(prefixesOf('ab/c.mp3', new Set(['a'])), [], 'a text prefix is not a folder prefix');
    assert.deepEqual(prefixesOf('a/b/c.mp3', new Set(['a', 'a/b', 'a/b/c.mp3'])), ['a/b/c.mp3', 'a/b', 'a']);
  });
});
