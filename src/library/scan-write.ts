// The write step of a scan, for one library: applies the diff to the database in short transactions
// (one per batch of album folders, so HTTP requests are not held up), regrouping each batch's albums
// with the unchanged tracks they share, then removes what is gone and drops empty folders. The catalog
// refresh (albums, artists, genres, search) follows in catalog.refresh.ts, from the dirty sets.
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../shared/logger.ts';
import type { CatalogWriter, DirtySets, TrackLinkArtist, TrackWrite } from './catalog.writer.ts';
import { contentTypeOf } from './content-types.ts';
import { deleteFolders, refreshFolderTrackCounts, upsertFolder } from './folders.repository.ts';
import {
  type GroupedIdentity,
  type GroupingInputs,
  groupingInputsFromRead,
  groupMembers,
  splitArtists,
  splitGenres,
} from './grouping.ts';
import { folderId } from '../music/identity.ts';
import { chooseTrackId } from './scan-diff.ts';
import { type FileRead, storedGroupingMembers } from './scan-load.ts';
import type { ScanReport } from './scan-status.ts';
import { clearIssue, markRefreshPending, recordIssue } from './scan.repository.ts';
import type { ReadTrack } from './tags.ts';
import {
  clearMissingSince,
  type ExistingTrack,
  type StoredTrack,
  trackById,
  trackByPath,
} from './tracks-write.repository.ts';
import { folderOf, type WalkedFile, type WalkedFolder } from './walk.ts';

export interface LibraryWritesDeps {
  db: Database;
  libraryId: number;
  writer: CatalogWriter;
  scanner: Pick<Config['scanner'], 'artistSeparators' | 'genreSeparators'>;
  logger: Logger;
  /** What the catalog refresh must rebuild; shared by every library of the scan. */
  dirty: DirtySets;
  report: ScanReport;
  /** Told of each file that could not be imported (the progress counts them). */
  onError: () => void;
  /** Known tracks by path, and those the diff found gone. */
  stored: ReadonlyMap<string, StoredTrack>;
  removed: ReadonlyMap<string, StoredTrack>;
}

export class LibraryWrites {
  private readonly deps: LibraryWritesDeps;
  /** Removed rows a moved file took over (they keep their pk); never deleted. */
  private readonly claimedPks = new Set<number>();
  private readonly removedByPk: ReadonlyMap<number, StoredTrack>;

  constructor(deps: LibraryWritesDeps) {
    this.deps = deps;
    this.removedByPk = new Map([...deps.removed.values()].map((row) => [row.pk, row]));
  }

  get claimed(): ReadonlySet<number> {
    return this.claimedPks;
  }

  /** The files of these known tracks are there again. */
  clearMissing(pks: readonly number[]): void {
    if (pks.length === 0) return;
    const { db } = this.deps;
    db.transaction(() => clearMissingSince(db, pks));
  }

  /**
   * Before the first track is written: sets the refresh marker (a killed scan leaves it, and the next
   * scan refreshes everything), writes new and changed folders and drops issues of files gone.
   */
  begin(foldersToWrite: readonly WalkedFolder[], staleIssues: readonly string[], now: number): void {
    const { db, libraryId } = this.deps;
    db.transaction(() => {
      markRefreshPending(db, now);
      for (const folder of foldersToWrite) upsertFolder(db, folderRow(libraryId, folder), now);
      for (const relPath of staleIssues) clearIssue(db, libraryId, relPath);
    });
  }

  /** Writes one batch of album folders from what was read of their files, in one transaction. */
  writeBatch(
    albumFolders: readonly string[],
    results: readonly FileRead[],
    membership: ReadonlyMap<string, string[]>,
  ): void {
    this.deps.db.transaction(() => this.applyBatch(albumFolders, results, membership));
  }

  /**
   * After the last batch: removes the tracks that are gone (not those a moved file took over, nor the
   * paths the removal guard kept), recounts the tracks of the given folders and drops `foldersGone`.
   */
  finish(
    removedKept: ReadonlySet<string>,
    touchedFolderIds: Iterable<string>,
    foldersGone: readonly string[],
  ): void {
    const { db, libraryId, writer, dirty, report } = this.deps;
    db.transaction(() => {
      for (const [relPath, row] of this.deps.removed) {
        if (this.claimedPks.has(row.pk) || removedKept.has(relPath)) continue;
        const still = trackByPath(db, libraryId, relPath);
        if (still && still.pk === row.pk) {
          writer.deleteTrack(still, dirty);
          report.removed++;
        }
      }
      refreshFolderTrackCounts(db, touchedFolderIds);
      // Tracks in vanished folders were among the removed files above, so these folders are empty now.
      deleteFolders(db, foldersGone);
    });
  }

  private applyBatch(
    albumFolders: readonly string[],
    results: readonly FileRead[],
    membership: ReadonlyMap<string, string[]>,
  ): void {
    const { db, libraryId, writer, dirty, report, stored, removed } = this.deps;
    const now = Date.now();
    const fresh = this.importable(results, now);

    // Unchanged tracks of these album folders take part in grouping with what they stored.
    const unchanged =
      stored.size > 0
        ? storedGroupingMembers(
            db,
            libraryId,
            albumFolders,
            membership,
            (relPath) => fresh.has(relPath) || removed.has(relPath),
          )
        : [];

    const members = [
      ...[...fresh.values()].map((entry) => entry.inputs),
      ...unchanged.map((entry) => entry.inputs),
    ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const identities = groupMembers(members);
    const takenInBatch = new Map<string, string>();

    for (const member of members) {
      const identity = identities.get(member.path)!;
      const entry = fresh.get(member.path);
      const samePath = entry
        ? stored.get(member.path)
        : unchanged.find((item) => item.row.path === member.path)?.row;
      const { id, moveSource } = chooseTrackId(identity.baseTrackId, member, libraryId, {
        takenInBatch,
        trackWithId: (candidate) => trackById(db, candidate),
        isRemovedUnclaimed: (pk) => this.removedByPk.has(pk) && !this.claimedPks.has(pk),
      });
      takenInBatch.set(id, member.path);

      if (!entry) {
        const row = samePath as ExistingTrack;
        if (row.id !== id || row.album_id !== identity.albumId) {
          writer.reidentifyTrack(
            row,
            {
              id,
              albumId: identity.albumId,
              albumArtists: identity.albumArtists,
              albumArtistDisplay: identity.albumArtistDisplay,
            },
            now,
            dirty,
          );
        }
        continue;
      }
      let existing = samePath ? trackByPath(db, libraryId, member.path) : undefined;
      if (!existing && moveSource) {
        existing = moveSource;
        this.claimedPks.add(moveSource.pk);
        report.moved++;
      } else if (existing) report.updated++;
      else report.added++;
      writer.writeTrack(
        toTrackWrite(libraryId, entry.file, entry.read, entry.inputs, identity, id, this.deps.scanner),
        existing,
        now,
        dirty,
      );
    }
  }

  /**
   * The files that were read as audio, with their grouping inputs. A file that failed is reported and
   * recorded as an issue; a known track whose file is no longer audio is deleted.
   */
  private importable(
    results: readonly FileRead[],
    now: number,
  ): Map<string, { file: WalkedFile; read: ReadTrack; inputs: GroupingInputs }> {
    const { db, libraryId, writer, dirty, report, logger, stored, scanner } = this.deps;
    const fresh = new Map<string, { file: WalkedFile; read: ReadTrack; inputs: GroupingInputs }>();
    for (const { file, outcome } of results) {
      if (!outcome.ok) {
        const previous = stored.get(file.path);
        if (outcome.failure !== 'content') {
          // Not a verdict on the file: a read that failed (a share or disk dropping mid-scan, a permission,
          // a file gone since the walk) or a tag reader that crashed or hung. Like a track under an
          // unreadable folder, a stored track is kept as it is, and the file is not recorded as broken, so
          // the next scan reads it again (a file the reader chokes on with no track yet is, as below).
          const reason = previous ? `${outcome.reason}; known track kept` : outcome.reason;
          logger.warn({ path: file.path, reason }, 'file not read; kept as it was');
          report.errors.push({ path: file.path, reason });
          this.deps.onError();
          if (!previous && outcome.failure === 'reader') recordIssue(db, libraryId, file, reason, now);
          continue;
        }
        logger.warn({ path: file.path, reason: outcome.reason }, 'file skipped');
        report.errors.push({ path: file.path, reason: outcome.reason });
        this.deps.onError();
        recordIssue(db, libraryId, file, outcome.reason, now);
        // A file whose content is no longer audio is no longer a playable track.
        if (previous) {
          const row = trackByPath(db, libraryId, file.path);
          if (row) writer.deleteTrack(row, dirty);
          report.removed++;
        }
        continue;
      }
      clearIssue(db, libraryId, file.path);
      fresh.set(file.path, {
        file,
        read: outcome.track,
        inputs: groupingInputsFromRead(outcome.track, file.path, scanner),
      });
    }
    return fresh;
  }
}

function folderRow(libraryId: number, folder: WalkedFolder) {
  return {
    id: folderId(libraryId, folder.path),
    library_id: libraryId,
    parent_id: folder.path === '' ? null : folderId(libraryId, folderOf(folder.path)),
    path: folder.path,
    name: folder.name,
    mtime: folder.mtime,
    images: JSON.stringify(folder.images),
  };
}

/** The track row of a file that was read, with the identity grouping gave it. */
function toTrackWrite(
  libraryId: number,
  file: WalkedFile,
  read: ReadTrack,
  inputs: GroupingInputs,
  identity: Pick<GroupedIdentity, 'albumId' | 'albumArtists' | 'albumArtistDisplay'>,
  id: string,
  separators: Pick<Config['scanner'], 'artistSeparators' | 'genreSeparators'>,
): TrackWrite {
  const links: TrackLinkArtist[] = inputs.artists.map((name, index) => ({
    name,
    role: 'artist',
    sortName: index === 0 ? read.artistSort : null,
  }));
  for (const composer of read.composers.flatMap((name) =>
    splitArtists(name, [], separators.artistSeparators),
  ))
    links.push({ name: composer, role: 'composer' });
  for (const credit of read.roles)
    for (const name of splitArtists(credit.name, [], separators.artistSeparators))
      links.push({ name, role: credit.role });
  const { path: _path, ...storedInputs } = inputs;
  const relFolder = path.posix.dirname(file.path) === '.' ? '' : path.posix.dirname(file.path);
  return {
    id,
    libraryId,
    folderId: folderId(libraryId, relFolder),
    path: file.path,
    fileSize: file.size,
    fileMtime: file.mtime,
    suffix: inputs.suffix,
    contentType: contentTypeOf(inputs.suffix),
    title: inputs.title,
    sortTitle: read.titleSort ?? inputs.title,
    albumId: identity.albumId,
    albumName: inputs.albumName,
    albumSortName: read.albumSort ?? inputs.albumName,
    albumArtists: identity.albumArtists,
    albumArtistDisplay: identity.albumArtistDisplay,
    albumArtistSort: read.albumArtistSort,
    artistDisplay: read.artist ?? inputs.artists.join(', '),
    artists: links,
    genres: splitGenres(read.genres, separators.genreSeparators),
    trackNumber: inputs.trackNumber,
    trackTotal: read.trackTotal,
    discNumber: inputs.discNumber,
    discTotal: read.discTotal,
    discSubtitle: read.discSubtitle,
    year: read.year,
    date: read.date,
    originalDate: read.originalDate,
    releaseDate: read.releaseDate,
    compilation: inputs.compilation || identity.albumArtistDisplay === 'Various Artists',
    duration: read.duration,
    bitrate: read.bitrate,
    sampleRate: read.sampleRate,
    bitDepth: read.bitDepth,
    channels: read.channels,
    codec: read.codec,
    lossless: read.lossless,
    hasEmbeddedArt: read.hasPicture,
    mbzRecordingId: read.mbzRecordingId,
    mbzTrackId: read.mbzTrackId,
    mbzAlbumId: read.mbzAlbumId,
    isrc: read.isrc,
    bpm: read.bpm,
    comment: read.comment,
    trackGain: read.trackGain,
    trackPeak: read.trackPeak,
    albumGain: read.albumGain,
    albumPeak: read.albumPeak,
    lyrics: read.lyrics,
    tags: {
      g: storedInputs,
      albumArtists: identity.albumArtists,
      albumVersion: inputs.albumVersion,
      releaseTypes: read.releaseTypes,
      recordLabels: read.recordLabels,
      mbzReleaseGroupId: read.mbzReleaseGroupId,
      mbzArtistIds: read.mbzArtistIds,
      mbzAlbumArtistIds: read.mbzAlbumArtistIds,
      albumSort: read.albumSort,
      albumArtistSort: read.albumArtistSort,
      moods: read.moods,
      grouping: read.grouping,
    },
  };
}
