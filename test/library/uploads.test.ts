// The pure rules of uploads (src/library/uploads.ts): safe file names, the extension a file's content
// earns it, and the admin's upload folder. The HTTP side with real files: test/http/api-uploads.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  detectedFormat,
  nameFor,
  safeName,
  uploadFolderName,
  uploadFolderPath,
} from '../../src/library/uploads.ts';

describe('safeName', () => {
  const cases: [string, string][] = [
    ['Song.flac', 'Song.flac'],
    ['../../x.flac', 'x.flac'],
    ['/etc/passwd.flac', 'passwd.flac'],
    ['..\\..\\boot.ini.flac', 'boot.ini.flac'],
    ['C:\\Users\\me\\a.mp3', 'a.mp3'],
    ['a\u0000b.flac', 'a_b.flac'],
    ['tab\there.mp3', 'tab_here.mp3'],
    ['what?<>|*:".flac', 'what_______.flac'],
    ['.hidden.flac', 'hidden.flac'],
    ['..', ''],
    ['.', ''],
    ['   ', ''],
    ['end. . ', 'end'],
    ['CON', '_CON'],
    ['con.flac', '_con.flac'],
    ['LPT1.mp3', '_LPT1.mp3'],
    ['COM9', '_COM9'],
    ['console.flac', 'console.flac'],
    ['Cafe\u0301.flac', 'Caf\u00e9.flac'],
  ];
  for (const [raw, expected] of cases)
    it(`${JSON.stringify(raw)} → ${JSON.stringify(expected)}`, () => assert.equal(safeName(raw), expected));

  it('keeps long names under 200 bytes with their extension', () => {
    const name = safeName(`${'é'.repeat(300)}.flac`);
    assert.ok(Buffer.byteLength(name) <= 200);
    assert.ok(name.endsWith('é.flac'));
  });
});

describe('nameFor', () => {
  const flac = { family: 'flac', suffix: 'flac' };
  const opus = { family: 'ogg', suffix: 'opus' };
  it('keeps an extension of the same family and replaces or adds the others', () => {
    assert.equal(nameFor('Song.FLAC', flac), 'Song.FLAC');
    assert.equal(nameFor('Song.mp3', flac), 'Song.flac');
    assert.equal(nameFor('Song', flac), 'Song.flac');
    assert.equal(nameFor('notes.txt', flac), 'notes.txt.flac');
    assert.equal(nameFor('Song.ogg', opus), 'Song.ogg');
    assert.equal(nameFor('..', flac), 'upload.flac');
    assert.equal(nameFor('.mp3', flac), 'mp3.flac');
  });
});

describe('detectedFormat', () => {
  it('names the format by content and refuses video or no audio', () => {
    assert.deepEqual(
      detectedFormat({ container: 'MPEG', codec: 'MPEG 1 Layer 3', sampleRate: 44100 } as never),
      {
        family: 'mpeg',
        suffix: 'mp3',
      },
    );
    assert.deepEqual(detectedFormat({ container: 'Ogg', codec: 'Opus', sampleRate: 48000 } as never), {
      family: 'ogg',
      suffix: 'opus',
    });
    assert.deepEqual(detectedFormat({ container: 'M4A/isom/iso2', codec: 'MPEG-4/AAC' } as never), {
      family: 'mp4',
      suffix: 'm4a',
    });
    assert.equal(
      detectedFormat({ container: 'isom/iso2/avc1/mp41', codec: 'MPEG-4/AAC', hasVideo: true } as never),
      undefined,
    );
    assert.equal(detectedFormat({ container: 'FLAC', hasAudio: false } as never), undefined);
    assert.equal(detectedFormat({ container: 'MPEG' } as never), undefined);
  });
});

describe('uploadFolderPath', () => {
  it('accepts a relative path inside the library and nothing else', () => {
    assert.equal(uploadFolderPath('Uploads'), 'Uploads');
    assert.equal(uploadFolderPath('Incoming/From Web/'), 'Incoming/From Web');
    assert.equal(uploadFolderPath('Incoming\\Web'), 'Incoming/Web');
    for (const bad of ['', '/', '/abs', '../x', 'a/../../b', 'a/.hidden', 'C:\\x', 'nul', 'a\u0000b'])
      assert.throws(() => uploadFolderPath(bad), /upload folder/, bad);
  });
});

describe('uploadFolderName', () => {
  it('is the user name when that is a safe folder name, and never the same for two users', () => {
    assert.equal(uploadFolderName({ id: 'us-0123456789abcdef', username: 'alice' }), 'alice');
    const dotted = uploadFolderName({ id: 'us-fedcba9876543210', username: '.alice' });
    const trailing = uploadFolderName({ id: 'us-aaaaaaaa00000000', username: 'alice.' });
    assert.equal(dotted, 'alice-fedcba98');
    assert.equal(trailing, 'alice-aaaaaaaa');
    assert.equal(uploadFolderName({ id: 'us-bbbbbbbb00000000', username: '...' }), 'user-bbbbbbbb');
  });
});
