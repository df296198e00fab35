// Small tests of the scan's diff step (src/library/scan-diff.ts): known rows and walked files in, the
// changes out. No disk, no database.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { folderId } from '../../src/music/identity.ts';
import {
  albumFolderBatches,
  albumFolderMembership,
  chooseTrackId,
  diffLibrary,
  guardRemovals,
  type KnownLibrary,
  keptUnderUnreadable,
  unavailableReason,
} from '../../src/library/scan-diff.ts';
import type { StoredFolder } from '../../src/library/folders.repository.ts';
import type { StoredIssue } from '../../src/library/scan.repository.ts';
import type { ExistingTrack, StoredTrack } from '../../src/library/tracks-write.repository.ts';
import type { WalkedFile, WalkedFolder, WalkResult } from '../../src/library/walk.ts';

const LIBRARY = 1;
let nextPk = 1;

function stored(path: string, size: number, mtime: number, missingSince: number | null = null): StoredTrack {
  const pk = nextPk++;
  return {
    pk,
    id: `tr-${pk}`,
    path,
    file_size: size,
    file_mtime: mtime,
    album_id: 'al-1',
    created_at: 0,
    missing_since: missingSince,
  };
}

function folder(path: string, mtime: number, images: string[] = []): WalkedFolder {
  return {
    path,
    name: path.split('/').at(-1) ?? '',
    mtime,
    images,
    lyricFiles: [],
    audioFiles: [],
  };
}

function storedFolder(path: string, mtime: number, images: string[] = []): StoredFolder {
  return { id: folderId(LIBRARY, path), path, mtime, images: JSON.stringify(images) };
}

function known(
  tracks: StoredTrack[],
  issues: StoredIssue[] = [],
  folders: StoredFolder[] = [],
): KnownLibrary {
  return {
    tracks: new Map(tracks.map((row) => [row.path, row])),
    issues: new Map(issues.map((row) => [row.path, row])),
    folders: new Map(folders.map((row) => [row.id, row])),
  };
}

function walk(
  files: WalkedFile[],
  folders: WalkedFolder[] = [],
  unreadable: { path: string; reason: string }[] = [],
): WalkResult {
  return { files, folders, playlists: [], unreadable };
}

describe('diffLibrary', () => {
  const same = stored('A/X/01.mp3', 100, 1000);
  const changed = stored('A/X/02.mp3', 200, 1000);
  const missingAgain = stored('A/X/03.mp3', 300, 1000, 5000);
  const gone = stored('A/Y/01.mp3', 100, 1000);
  const unreadableKept = stored('B/01.mp3', 100, 1000);
  const db = known(
    [same, changed, missingAgain, gone, unreadableKept],
    [
      { path: 'C/broken.mp3', file_size: 10, file_mtime: 1, reason: 'not audio' },
      { path: 'C/fixed.mp3', file_size: 10, file_mtime: 1, reason: 'truncated' },
      { path: 'D/gone.mp3', file_size: 10, file_mtime: 1, reason: 'empty' },
      { path: 'B/bad.mp3', file_size: 10, file_mtime: 1, reason: 'empty' },
    ],
    [
      storedFolder('', 1),
      storedFolder('A', 1),
      storedFolder('A/X', 1, ['cover.jpg']),
      storedFolder('A/Y', 1),
      storedFolder('B', 1),
    ],
  );
  const walked = walk(
    [
      { path: 'A/X/01.mp3', size: 100, mtime: 1000 },
      { path: 'A/X/02.mp3', size: 250, mtime: 2000 },
      { path: 'A/X/03.mp3', size: 300, mtime: 1000 },
      { path: 'A/Z/01.mp3', size: 100, mtime: 1000 },
      { path: 'C/broken.mp3', size: 10, mtime: 1 },
      { path: 'C/fixed.mp3', size: 11, mtime: 2 },
    ],
    [
      folder('', 1),
      folder('A', 1, ['artist.jpg']),
      folder('A/X', 1, ['cover.jpg']),
      folder('A/Z', 1),
      folder('C', 1),
    ],
    [{ path: 'B', reason: 'EACCES' }],
  );

  it('reads new and changed files only, and a broken file again only once it changed', () => {
    const diff = diffLibrary(LIBRARY, walked, db, { full: false });
    assert.deepEqual(
      diff.toRead.map((file) => file.path),
      ['A/X/02.mp3', 'A/Z/01.mp3', 'C/fixed.mp3'],
    );
    assert.deepEqual(diff.knownBroken, [{ path: 'C/broken.mp3', reason: 'not audio' }]);
    assert.equal(diff.unchanged, 2);
  });

  it('finds removed tracks, but keeps those under a folder that cannot be read', () => {
    const diff = diffLibrary(LIBRARY, walked, db, { full: false });
    assert.deepEqual([...diff.removed.keys()], ['A/Y/01.mp3']);
    assert.equal(diff.removed.get('A/Y/01.mp3'), gone);
    assert.equal(diff.underUnreadable('B/01.mp3'), true);
    assert.equal(diff.underUnreadable('Bz/01.mp3'), false);
    assert.deepEqual(diff.staleIssues, ['D/gone.mp3']);
  });

  it('clears the missing mark of a file that is there again, changed or not', () => {
    assert.deepEqual(diffLibrary(LIBRARY, walked, db, { full: false }).foundAgain, [missingAgain.pk]);
  });

  it('writes new folders and folders whose images changed, and drops vanished ones unless a kept track is in them', () => {
    const diff = diffLibrary(LIBRARY, walked, db, { full: false });
    assert.deepEqual(
      diff.foldersToWrite.map((entry) => entry.path),
      ['A', 'A/Z', 'C'],
    );
    assert.deepEqual(diff.foldersGone(new Set()), [folderId(LIBRARY, 'A/Y')]);
    assert.deepEqual(diff.foldersGone(new Set(['A/Y/01.mp3'])), []);
    assert.ok(diff.walkedFolderIds.has(folderId(LIBRARY, 'A/Z')));
  });

  it('reads every file on a full scan, known broken ones too', () => {
    const diff = diffLibrary(LIBRARY, walked, db, { full: true });
    assert.equal(diff.toRead.length, walked.files.length);
    assert.deepEqual(diff.knownBroken, []);
    assert.equal(diff.unchanged, 0);
  });

  it('finds nothing to do when nothing changed', () => {
    const row = stored('A/01.mp3', 1, 1);
    const diff = diffLibrary(
      LIBRARY,
      walk([{ path: 'A/01.mp3', size: 1, mtime: 1 }], [folder('', 1), folder('A', 1)]),
      known([row], [], [storedFolder('', 1), storedFolder('A', 1)]),
      { full: false },
    );
    assert.deepEqual(diff.toRead, []);
    assert.equal(diff.removed.size, 0);
    assert.deepEqual(diff.foldersToWrite, []);
    assert.deepEqual(diff.foldersGone(new Set()), []);
    assert.equal(diff.unchanged, 1);
  });
});

describe('keptUnderUnreadable', () => {
  it('counts the known tracks under each unreadable entry, nested ones in both', () => {
    const counts = keptUnderUnreadable(['B/1.mp3', 'B/C/2.mp3', 'D/3.mp3'], [{ path: 'B' }, { path: 'B/C' }]);
    assert.equal(counts.get('B'), 2);
    assert.equal(counts.get('B/C'), 1);
    assert.equal(counts.get('D'), undefined);
  });
});

describe('unavailableReason', () => {
  const base = {
    knownTracks: 10,
    walkedFiles: 10,
    rootEntries: 3,
    unreadableEntries: 0,
    device: { was: '1', now: '1' },
    missing: 0,
    maxRemovalShare: 0.5,
  };

  it('takes an empty library as unavailable only when the catalog holds tracks from it', () => {
    assert.equal(unavailableReason({ ...base, knownTracks: 0, walkedFiles: 0, rootEntries: 0 }), undefined);
    assert.equal(
      unavailableReason({ ...base, walkedFiles: 0, rootEntries: 0 }),
      'folder is empty while the catalog holds 10 tracks from it',
    );
    assert.match(unavailableReason({ ...base, walkedFiles: 0 })!, /^folder holds no audio files/);
    assert.match(
      unavailableReason({ ...base, walkedFiles: 0, unreadableEntries: 2 })!,
      /^no audio file could be read \(2 entries cannot be read\)/,
    );
  });

  it('accepts another device when the files are there, not when most are missing', () => {
    const moved = { ...base, device: { was: '1', now: '2' } };
    assert.equal(unavailableReason({ ...moved, missing: 5 }), undefined);
    assert.match(unavailableReason({ ...moved, missing: 6 })!, /another device .*\(1, now 2\).* 6 of 10/);
    assert.equal(
      unavailableReason({ ...base, missing: 9 }),
      undefined,
      'same device: the removal guard decides',
    );
    assert.equal(unavailableReason({ ...moved, device: { was: null, now: '2' }, missing: 9 }), undefined);
  });
});

describe('guardRemovals', () => {
  const rows = ['A/1.mp3', 'A/2.mp3', 'B/1.mp3', 'B/2.mp3', 'C/1.mp3', 'C/2.mp3'].map((path) =>
    stored(path, 1, 1),
  );
  const removed = new Map(rows.map((row) => [row.path, row]));
  const input = {
    knownTracks: 10,
    removed,
    claimed: new Set<number>(),
    walkedFolderPaths: new Set(['', 'A']),
    maxRemovalShare: 0.5,
    allowRemoval: false,
  };

  it('beyond the share, keeps the tracks whose folder is gone and removes those whose folder is there', () => {
    const { kept, wouldRemove } = guardRemovals(input);
    assert.equal(wouldRemove, 6);
    assert.deepEqual([...kept].sort(), ['B/1.mp3', 'B/2.mp3', 'C/1.mp3', 'C/2.mp3']);
  });

  it('keeps nothing up to the share, when removal is allowed, or when moved files took the rows', () => {
    assert.equal(guardRemovals({ ...input, knownTracks: 12 }).kept.size, 0);
    assert.equal(guardRemovals({ ...input, allowRemoval: true }).kept.size, 0);
    const claimed = new Set([rows[4]!.pk, rows[5]!.pk]);
    const guarded = guardRemovals({ ...input, claimed });
    assert.equal(guarded.wouldRemove, 4);
    assert.equal(guarded.kept.size, 0);
  });
});

describe('albumFolderBatches', () => {
  it('keeps an album folder (disc folders included) in one batch, and regroups folders that only lost files', () => {
    const file = (path: string): WalkedFile => ({ path, size: 1, mtime: 1 });
    const { filesOf, batches } = albumFolderBatches(
      [
        file('A/X/1.mp3'),
        file('A/Y/CD 1/1.mp3'),
        file('A/X/2.mp3'),
        file('A/Y/CD 2/1.mp3'),
        file('A/X/3.mp3'),
        file('B/1.mp3'),
      ],
      ['C/1.mp3', 'A/X/9.mp3'],
      3,
    );
    assert.deepEqual(batches, [['A/X'], ['A/Y', 'B'], ['C']]);
    assert.deepEqual(
      filesOf.get('A/Y')!.map((entry) => entry.path),
      ['A/Y/CD 1/1.mp3', 'A/Y/CD 2/1.mp3'],
    );
    assert.deepEqual(filesOf.get('C'), []);
  });

  it('makes no batch when nothing is to be read or regrouped', () => {
    assert.deepEqual(albumFolderBatches([], [], 64).batches, []);
  });
});

describe('albumFolderMembership', () => {
  it('gives an album folder its disc sub-folders, and nothing else', () => {
    const membership = albumFolderMembership(LIBRARY, [
      folder('', 1),
      folder('A', 1),
      folder('A/Y', 1),
      folder('A/Y/CD 1', 1),
      folder('A/Y/Disc 2', 1),
      folder('A/Y/Bonus', 1),
    ]);
    assert.deepEqual(membership.get('A/Y'), [
      folderId(LIBRARY, 'A/Y'),
      folderId(LIBRARY, 'A/Y/CD 1'),
      folderId(LIBRARY, 'A/Y/Disc 2'),
    ]);
    assert.deepEqual(membership.get('A/Y/Bonus'), [folderId(LIBRARY, 'A/Y/Bonus')]);
    assert.deepEqual(membership.get(''), [folderId(LIBRARY, '')]);
  });
});

describe('chooseTrackId', () => {
  const row = (id: string, path: string, libraryId = LIBRARY): ExistingTrack => ({
    pk: nextPk++,
    id,
    library_id: libraryId,
    path,
    album_id: 'al-1',
    created_at: 0,
  });
  const lookups = (rows: ExistingTrack[], removedPks: number[] = [], taken = new Map<string, string>()) => ({
    takenInBatch: taken,
    trackWithId: (id: string) => rows.find((candidate) => candidate.id === id),
    isRemovedUnclaimed: (pk: number) => removedPks.includes(pk),
  });
  const file = { path: 'A/01.flac', suffix: 'flac' };

  it('keeps the identity id when it is free or the file already has it', () => {
    assert.deepEqual(chooseTrackId('tr-base', file, LIBRARY, lookups([])), {
      id: 'tr-base',
      moveSource: undefined,
    });
    assert.deepEqual(chooseTrackId('tr-base', file, LIBRARY, lookups([row('tr-base', 'A/01.flac')])), {
      id: 'tr-base',
      moveSource: undefined,
    });
  });

  it('takes over a removed track with the same identity: the file moved', () => {
    const old = row('tr-base', 'Old/01.flac');
    assert.deepEqual(chooseTrackId('tr-base', file, LIBRARY, lookups([old], [old.pk])), {
      id: 'tr-base',
      moveSource: old,
    });
  });

  it('gives a file another id when a present track, or a track of another library, has its identity', () => {
    const present = row('tr-base', 'B/01.flac');
    const other = row('tr-base', 'Old/01.flac', 2);
    for (const rows of [[present], [other]]) {
      const chosen = chooseTrackId('tr-base', file, LIBRARY, lookups(rows, [other.pk]));
      assert.notEqual(chosen.id, 'tr-base');
      assert.match(chosen.id, /^tr-/);
      assert.equal(chosen.moveSource, undefined);
    }
  });

  it('tells duplicates in one batch apart, first by format, then by path, and the same way on every scan', () => {
    const duplicates = [
      { path: 'A/01.flac', suffix: 'flac' },
      { path: 'A/01.mp3', suffix: 'mp3' },
      { path: 'A/copy/01.mp3', suffix: 'mp3' },
      { path: 'A/copy 2/01.mp3', suffix: 'mp3' },
    ];
    const assign = (rows: ExistingTrack[]) => {
      const taken = new Map<string, string>();
      return duplicates.map((duplicate) => {
        const { id } = chooseTrackId('tr-base', duplicate, LIBRARY, lookups(rows, [], taken));
        taken.set(id, duplicate.path);
        return id;
      });
    };
    const first = assign([]);
    assert.equal(first[0], 'tr-base');
    assert.equal(new Set(first).size, 4);
    // A rescan finds each id owned by the file that got it, and gives every file its id again.
    const rescan = assign(duplicates.map((duplicate, index) => row(first[index]!, duplicate.path)));
    assert.deepEqual(rescan, first);
  });
});
