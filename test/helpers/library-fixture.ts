// A small, real music library built with ffmpeg for scanner tests: every case the scanner must get
// right has at least one file here (formats, multi-disc in CD folders, compilations, albums without
// one album artist, untagged files, covers, lyrics, MusicBrainz ids, broken files).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type AudioSpec, makeAudio, makeBrokenFiles, makeImage } from './audio.ts';

export interface FixtureFile {
  path: string;
  spec: AudioSpec;
}

export const FIXTURE_FILES: FixtureFile[] = [
  // A plain album in four formats; one track credits a guest with "feat.", one has a composer.
  {
    path: 'Artist A/2001 - First Album/01 - One.mp3',
    spec: {
      format: 'mp3',
      frequency: 440,
      tags: {
        title: 'One',
        artist: 'Artist A',
        album: 'First Album',
        album_artist: 'Artist A',
        track: '1/4',
        date: '2001',
        genre: 'Rock',
      },
    },
  },
  {
    path: 'Artist A/2001 - First Album/02 - Two.flac',
    spec: {
      format: 'flac',
      frequency: 460,
      tags: {
        title: 'Two',
        artist: 'Artist A feat. Guest Star',
        album: 'First Album',
        album_artist: 'Artist A',
        track: '2',
        TRACKTOTAL: '4',
        date: '2001',
        genre: 'Rock;Pop',
      },
    },
  },
  {
    path: 'Artist A/2001 - First Album/03 - Three.ogg',
    spec: {
      format: 'ogg',
      frequency: 480,
      tags: {
        title: 'Three',
        artist: 'Artist A',
        album: 'First Album',
        album_artist: 'Artist A',
        track: '3',
        date: '2001',
        genre: 'Rock',
        composer: 'Jane Composer',
      },
    },
  },
  {
    path: 'Artist A/2001 - First Album/04 - Four.opus',
    spec: {
      format: 'opus',
      frequency: 500,
      tags: {
        title: 'Four',
        artist: 'Artist A',
        album: 'First Album',
        album_artist: 'Artist A',
        track: '4',
        date: '2001',
        genre: 'Rock',
      },
    },
  },
  // Embedded cover, lossless formats with bit depth, Beyoncé for search.
  {
    path: 'Beyoncé/2010 - Hi-Res/01 - Alpha.wv',
    spec: {
      format: 'wv',
      frequency: 520,
      bitDepth: 24,
      sampleRate: 48000,
      tags: {
        title: 'Alpha',
        artist: 'Beyoncé',
        album: 'Hi-Res',
        album_artist: 'Beyoncé',
        track: '1',
        date: '2010',
        genre: 'Pop',
      },
    },
  },
  {
    path: 'Beyoncé/2010 - Hi-Res/02 - Beta.m4a',
    spec: {
      format: 'm4a',
      frequency: 540,
      cover: 'embedded-jpeg',
      tags: {
        title: 'Beta',
        artist: 'Beyoncé',
        album: 'Hi-Res',
        album_artist: 'Beyoncé',
        track: '2/2',
        date: '2010',
        genre: 'Pop',
      },
    },
  },
  // Two discs in CD 1/ CD 2/ folders, disc numbers only from the folder names, cover.jpg above them.
  {
    path: 'Artist B/Double/CD 1/01 - Side A.mp3',
    spec: {
      format: 'mp3',
      frequency: 560,
      tags: {
        title: 'Side A',
        artist: 'Artist B',
        album: 'Double',
        album_artist: 'Artist B',
        track: '1',
        date: '1999',
      },
    },
  },
  {
    path: 'Artist B/Double/CD 2/01 - Side B.mp3',
    spec: {
      format: 'mp3',
      frequency: 580,
      tags: {
        title: 'Side B',
        artist: 'Artist B',
        album: 'Double',
        album_artist: 'Artist B',
        track: '1',
        date: '1999',
      },
    },
  },
  // A compilation flagged as such, with no album artist tag.
  {
    path: 'Compilations/Hits/01 - X.mp3',
    spec: {
      format: 'mp3',
      frequency: 600,
      tags: { title: 'X Song', artist: 'Xavier', album: 'Hits', track: '1', compilation: '1', date: '2015' },
    },
  },
  {
    path: 'Compilations/Hits/02 - Y.mp3',
    spec: {
      format: 'mp3',
      frequency: 620,
      tags: { title: 'Y Song', artist: 'Yolanda', album: 'Hits', track: '2', compilation: '1', date: '2015' },
    },
  },
  // No album artist, no compilation flag, two different artists: still one album, under Various Artists.
  {
    path: 'Mixed/Mixtape/01 - P.flac',
    spec: {
      format: 'flac',
      frequency: 640,
      tags: { title: 'P Song', artist: 'Paula', album: 'Mixtape', track: '1' },
    },
  },
  {
    path: 'Mixed/Mixtape/02 - Q.flac',
    spec: {
      format: 'flac',
      frequency: 660,
      tags: { title: 'Q Song', artist: 'Quentin', album: 'Mixtape', track: '2' },
    },
  },
  // Untagged: everything from folder and file names.
  {
    path: 'Folder Artist/Folder Album/03 - Song From Name.mp3',
    spec: { format: 'mp3', frequency: 680, stripAllTags: true },
  },
  // MusicBrainz release id: one album although the album-artist text differs.
  {
    path: 'MBZ/Release/01 - M1.flac',
    spec: {
      format: 'flac',
      frequency: 700,
      tags: {
        title: 'M1',
        artist: 'Mona',
        album: 'Release',
        album_artist: 'Mona',
        track: '1',
        MUSICBRAINZ_ALBUMID: '9e7a0a4c-1111-4c7a-9f00-000000000001',
      },
    },
  },
  {
    path: 'MBZ/Release/02 - M2.flac',
    spec: {
      format: 'flac',
      frequency: 720,
      tags: {
        title: 'M2',
        artist: 'Mona',
        album: 'Release',
        album_artist: 'Mona & Friends',
        track: '2',
        MUSICBRAINZ_ALBUMID: '9e7a0a4c-1111-4c7a-9f00-000000000001',
      },
    },
  },
  // Japanese names, AIFF and WAV (tags where the container allows).
  {
    path: '東京/夜の歌/01 - 夜.aiff',
    spec: {
      format: 'aiff',
      frequency: 740,
      tags: { title: '夜の歌', artist: '東京楽団', album: '夜の歌', album_artist: '東京楽団', track: '1' },
    },
  },
  {
    path: 'Loose/loose.wav',
    spec: { format: 'wav', frequency: 760, tags: { title: 'Loose Wave', artist: 'Solo' } },
  },
];

export const FIXTURE_LYRICS = {
  path: 'Artist A/2001 - First Album/01 - One.lrc',
  text: '[ar:Artist A]\n[ti:One]\n[00:00.50]First line\n[00:01.25]Second line\n',
};
export const FIXTURE_PLAIN_LYRICS = {
  path: 'Artist A/2001 - First Album/03 - Three.txt',
  text: 'Unsynced words\nMore words\n',
};

export interface FixtureLibrary {
  root: string;
  /** Relative paths of the files that must be reported and never imported. */
  broken: string[];
  cleanup(): void;
}

/** Builds the fixture library in a new temporary folder (audio encodes are cached across runs). */
export async function buildFixtureLibrary(): Promise<FixtureLibrary> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-lib-'));
  await Promise.all(FIXTURE_FILES.map((file) => makeAudio(path.join(root, file.path), file.spec)));
  await makeImage(path.join(root, 'Artist B/Double/cover.jpg'), { width: 300, height: 300 });
  await makeImage(path.join(root, 'Artist A/2001 - First Album/folder.jpg'), { width: 200, height: 200 });
  await makeImage(path.join(root, 'Artist A/artist.jpg'), { width: 100, height: 100 });
  fs.writeFileSync(path.join(root, FIXTURE_LYRICS.path), FIXTURE_LYRICS.text);
  fs.writeFileSync(path.join(root, FIXTURE_PLAIN_LYRICS.path), FIXTURE_PLAIN_LYRICS.text);
  const broken = (await makeBrokenFiles(path.join(root, 'Broken'))).map((file) => path.relative(root, file));
  const appleDouble = 'Artist A/2001 - First Album/._01 - One.mp3';
  fs.writeFileSync(path.join(root, appleDouble), 'AppleDouble junk');
  fs.writeFileSync(path.join(root, 'Artist A/notes.txt'), 'not music');
  return {
    root,
    broken: [...broken, appleDouble].sort(),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
