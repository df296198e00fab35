// The scanner: walk → diff against the database → read tags (worker threads) → group into albums →
// write in small transactions → refresh albums, artists, genres and the search index. Unchanged files
// (same size and mtime) are never re-read; a rescan with nothing changed writes nothing. Each batch is
// its own transaction, and a marker row makes the next scan finish the refresh if this one is killed.
// A library that looks unavailable (availability.ts) is skipped and marked offline, its catalog kept;
// tracks under folders that cannot be read, and of files whose read fails (an I/O error, not a verdict on
// their content), are kept; and a scan that would remove more than scanner.maxRemovalShare of a library
// removes only files whose folder is still there (removal guard).
import path from 'node:path';
import { ensureSearchIndex, rebuildSearchIndex } from '../catalog/search.ts';
import type { Config } from '../config/schema.ts';
import { automaticWorkerCount } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import type { LibraryRow } from '../db/schema.ts';
import { TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { type AvailabilityChange, inspectRoot, setOffline, setOnline } from './availability.ts';
import { allDirty, refreshCatalog, refreshFolderCounts } from './catalog.refresh.ts';
import {
  CatalogWriter,
  type DirtySets,
  type ExistingTrack,
  emptyDirtySets,
  type TrackLinkArtist,
  type TrackWrite,
} from './catalog.writer.ts';
import { contentTypeOf } from './content-types.ts';
import {
  type GroupingInputs,
  groupingInputsFromRead,
  groupMembers,
  splitArtists,
  splitGenres,
} from './grouping.ts';
import { articlesFrom, disambiguatedTrackId, folderId } from '../music/identity.ts';
import { listLibraries, markLibraryScanned } from './library.repository.ts';
import { importPlaylistFiles } from './playlist-import.ts';
import {
  allowRemovalCommand,
  type ScanProgress,
  type ScanReport,
  type ScanStatusSource,
} from './scan-status.ts';
import { ScanLease } from './scan-lease.ts';
import { ffprobeBeside } from './probe-duration.ts';
import { TagReaderPool } from './tag-reader-pool.ts';
import type { ReadOutcome, ReadTrack, TagReadOptions } from './tags.ts';
import {
  albumFolderOf,
  discNumberFromFolder,
  folderOf,
  prefixesOf,
  type WalkedFile,
  type WalkedFolder,
  walkLibrary,
} from './walk.ts';

// Small batches keep each write transaction short (tens of ms), so HTTP requests are not held up during a scan.
const BATCH_FILES = 64;
/** Fault injection for the crash-safety test: the process kills itself after this many committed batches. */
const CRASH_AFTER_BATCHES = Number(process.env.TONEARM_TEST_CRASH_AFTER_BATCHES ?? 0);
const REFRESH_MARKER = 'scan.refreshPending';

export interface ScanOptions {
  full?: boolean;
  /** Only these libraries (default: all registered ones). */
  libraryIds?: number[];
  /**
   * The libraries (ids) whose admin means it, each named (`tonearm scan --allow-removal --library NAME`):
   * in these only, remove what is gone even beyond scanner.maxRemovalShare, and scan an empty library or
   * one on another device instead of marking it offline. Never a blanket switch: an unmounted share among
   * the libraries a scan covers must stay offline while the admin empties the one they meant.
   */
  allowRemovalIn?: readonly number[];
}

interface StoredTrack {
  pk: number;
  id: string;
  path: string;
  file_size: number;
  file_mtime: number;
  album_id: string;
  created_at: number;
  missing_since: number | null;
}

export class Scanner implements ScanStatusSource {
  private readonly db: Database;
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly articles: string[];
  private readonly readOptions: TagReadOptions;
  private running: Promise<ScanReport> | undefined;
  private queued: { full: boolean; allowRemovalIn: Set<number>; libraryIds: Set<number> | 'all' } | undefined;
  private readonly onAvailabilityChange: ((change: AvailabilityChange) => void) | undefined;
  private readonly onWaiting: ((holder: { pid: number; host: string; since: string }) => void) | undefined;
  private state: ScanProgress = {
    scanning: false,
    phase: 'idle',
    full: false,
    startedAt: null,
    filesSeen: 0,
    filesToRead: 0,
    filesRead: 0,
    folders: 0,
    errors: 0,
    lastReport: null,
  };

  private readonly batchFiles: number;
  private batchesCommitted = 0;
  /** Playlist files found by this scan's walks, by library id. */
  private playlistFiles = new Map<number, { path: string; mtime: number }[]>();
  /** Playlist files not found but kept (unreadable folders, folders the removal guard kept), by library id. */
  private playlistsKept = new Map<number, (relPath: string) => boolean>();

  constructor(deps: {
    db: Database;
    config: Config;
    logger: Logger;
    batchFiles?: number;
    /** Told when a library goes offline or comes back (serve stops and restarts its watcher). */
    onAvailabilityChange?: (change: AvailabilityChange) => void;
    /** Told when this scan waits for another process's scan (the CLI says so). */
    onWaiting?: (holder: { pid: number; host: string; since: string }) => void;
  }) {
    this.onWaiting = deps.onWaiting;
    this.onAvailabilityChange = deps.onAvailabilityChange;
    this.batchFiles = deps.batchFiles ?? (Number(process.env.TONEARM_SCAN_BATCH_FILES) || BATCH_FILES);
    this.db = deps.db;
    this.config = deps.config;
    this.logger = deps.logger;
    this.articles = articlesFrom(deps.config.scanner.ignoredArticles);
    this.readOptions = {
      ffprobe: ffprobeBeside(deps.config.transcoding.ffmpeg),
      ...(deps.config.scanner.legacyEncoding ? { legacyEncoding: deps.config.scanner.legacyEncoding } : {}),
    };
  }

  progress(): ScanProgress {
    return { ...this.state };
  }

  get isScanning(): boolean {
    return this.running !== undefined;
  }

  /**
   * Starts a scan, or, when one is running, queues one more to run right after it (requests made
   * meanwhile are merged), so scans never run twice at once and no change is missed.
   */
  scan(options: ScanOptions = {}): Promise<ScanReport> {
    if (this.running) {
      const libraries = options.libraryIds ? new Set(options.libraryIds) : 'all';
      if (!this.queued)
        this.queued = {
          full: Boolean(options.full),
          allowRemovalIn: new Set(options.allowRemovalIn),
          libraryIds: libraries,
        };
      else {
        this.queued.full ||= Boolean(options.full);
        // Per library: merging must not extend one request's removals to another's libraries.
        for (const id of options.allowRemovalIn ?? []) this.queued.allowRemovalIn.add(id);
        if (libraries === 'all' || this.queued.libraryIds === 'all') this.queued.libraryIds = 'all';
        else for (const id of libraries) this.queued.libraryIds.add(id);
      }
      return this.running.then(() => this.runQueued());
    }
    return this.start(options);
  }

  /** Rejects instead of queueing: for callers that must not wait (the CLI's `scan`). */
  scanNow(options: ScanOptions = {}): Promise<ScanReport> {
    if (this.running) return Promise.reject(new TonearmError('SCAN_RUNNING', 'a scan is already running'));
    return this.start(options);
  }

  private runQueued(): Promise<ScanReport> {
    if (this.running) return this.running;
    const next = this.queued;
    this.queued = undefined;
    if (!next) return Promise.resolve(this.state.lastReport!);
    return this.start({
      full: next.full,
      allowRemovalIn: [...next.allowRemovalIn],
      ...(next.libraryIds === 'all' ? {} : { libraryIds: [...next.libraryIds] }),
    });
  }

  private start(options: ScanOptions): Promise<ScanReport> {
    const run = this.run(options).finally(() => {
      this.running = undefined;
      this.state = { ...this.state, scanning: false, phase: 'idle' };
      if (this.queued) void this.runQueued();
    });
    this.running = run;
    return run;
  }

  private async run(options: ScanOptions): Promise<ScanReport> {
    // Another process (the server, `tonearm scan`) may be scanning this database: take turns.
    const lease = new ScanLease(this.db.folder);
    this.state = { ...this.state, scanning: true, phase: 'waiting' };
    await lease.acquire((holder) => {
      this.state.waitingFor = holder;
      this.logger.info(holder, 'waiting for the scan of another process to finish');
      this.onWaiting?.(holder);
    });
    try {
      return await this.runHoldingLease(options);
    } finally {
      lease.release();
    }
  }

  private async runHoldingLease(options: ScanOptions): Promise<ScanReport> {
    const startedAt = Date.now();
    const full = Boolean(options.full);
    this.state = {
      ...this.state,
      waitingFor: undefined,
      scanning: true,
      phase: 'walking',
      full,
      startedAt,
      filesSeen: 0,
      filesToRead: 0,
      filesRead: 0,
      folders: 0,
      errors: 0,
    };
    const report: ScanReport = {
      startedAt,
      finishedAt: 0,
      full,
      filesSeen: 0,
      folders: 0,
      added: 0,
      updated: 0,
      removed: 0,
      moved: 0,
      unchanged: 0,
      errors: [],
      offline: [],
      keptBack: [],
      rowsWritten: 0,
      durationMs: 0,
    };
    // The scan keeps the search index in step, so it must exist (a no-op check when it does).
    ensureSearchIndex(this.db);
    const changesBefore = this.db.totalChanges();
    const libraries = listLibraries(this.db).filter(
      (library) => !options.libraryIds || options.libraryIds.includes(library.id),
    );
    const dirty = emptyDirtySets();
    const pendingFromCrash =
      this.db.prepare('SELECT value FROM setting WHERE key = ?').pluck().get(REFRESH_MARKER) !== undefined;
    const pool = new TagReaderPool(this.config.scanner.workers || automaticWorkerCount());
    const changedLibraries = new Set<number>();
    this.playlistFiles = new Map();
    this.playlistsKept = new Map();
    try {
      for (const library of libraries) {
        const changed = await this.scanLibrary(
          library,
          { full, allowRemoval: options.allowRemovalIn?.includes(library.id) ?? false },
          pool,
          dirty,
          report,
        );
        if (changed) changedLibraries.add(library.id);
      }
    } finally {
      await pool.close();
    }

    this.state.phase = 'finishing';
    const now = Date.now();
    if (changedLibraries.size > 0 || pendingFromCrash) {
      const refreshOptions = {
        articles: this.articles,
        coverArtPriority: this.config.scanner.coverArtPriority,
        artistImageNames: this.config.scanner.artistImageNames,
      };
      // After a killed scan nobody knows what it touched: refresh everything and rebuild the search index.
      const sets = pendingFromCrash ? mergeDirty(allDirty(this.db), dirty) : dirty;
      await refreshCatalog(this.db, sets, refreshOptions, now, pendingFromCrash);
      this.db.transaction(() => {
        if (pendingFromCrash) rebuildSearchIndex(this.db);
        this.db.prepare('DELETE FROM setting WHERE key = ?').run(REFRESH_MARKER);
        for (const id of changedLibraries) markLibraryScanned(this.db, id, now, true);
      });
    }
    // Playlist files are matched against the tracks just written, so they come last.
    await importPlaylistFiles(this.db, libraries, this.logger, this.playlistFiles, this.playlistsKept);
    report.finishedAt = Date.now();
    report.durationMs = report.finishedAt - startedAt;
    report.rowsWritten = this.db.totalChanges() - changesBefore;
    this.state.lastReport = report;
    this.logger.info(
      {
        added: report.added,
        updated: report.updated,
        removed: report.removed,
        moved: report.moved,
        errors: report.errors.length,
        files: report.filesSeen,
        ms: report.durationMs,
        ...(report.offline.length > 0 ? { offline: report.offline.map((entry) => entry.name) } : {}),
        ...(report.keptBack.length > 0
          ? { keptBack: report.keptBack.reduce((sum, entry) => sum + entry.count, 0) }
          : {}),
      },
      'scan finished',
    );
    return report;
  }

  /** Skips a library that looks unavailable: marks it offline (logged once) and reports it. */
  private skipOffline(library: LibraryRow, reason: string, report: ScanReport): false {
    report.offline.push({ libraryId: library.id, name: library.name, path: library.path, reason });
    if (setOffline(this.db, this.logger, library, reason))
      this.onAvailabilityChange?.({ libraryId: library.id, online: false, reason });
    else this.logger.debug({ library: library.name, reason }, 'library is still offline');
    return false;
  }

  private async scanLibrary(
    library: LibraryRow,
    options: { full: boolean; allowRemoval: boolean },
    pool: TagReaderPool,
    dirty: DirtySets,
    report: ScanReport,
  ): Promise<boolean> {
    const { id: libraryId, path: root } = library;
    const { full, allowRemoval } = options;
    const writer = new CatalogWriter(this.db, this.articles);
    this.state.phase = 'walking';
    // A vanished mount must not empty the library: skip it and keep what is known.
    const inspection = await inspectRoot(root);
    if (!inspection.ok) return this.skipOffline(library, inspection.reason, report);
    let walked: Awaited<ReturnType<typeof walkLibrary>>;
    try {
      walked = await walkLibrary(root, {
        followSymlinks: this.config.scanner.followSymlinks,
        onFolder: (count) => (this.state.folders = report.folders + count),
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return this.skipOffline(
        library,
        code === 'ENOENT' ? 'folder missing' : `folder cannot be read (${code ?? (error as Error).message})`,
        report,
      );
    }

    const stored = new Map<string, StoredTrack>();
    for (const row of this.db
      .prepare(
        'SELECT pk, id, path, file_size, file_mtime, album_id, created_at, missing_since FROM track WHERE library_id = ?',
      )
      .all(libraryId) as StoredTrack[])
      stored.set(row.path, row);
    const walkedPaths = new Set(walked.files.map((file) => file.path));
    const walkedFolderPaths = new Set(walked.folders.map((folder) => folder.path));
    // Whatever lies under a folder that could not be read is kept as it was (not "removed"). A path is
    // looked up by its ancestors (a few Set probes), not against every unreadable entry: thousands of
    // unreadable folders in a library of 200,000 tracks would otherwise block the event loop for seconds.
    const unreadable = new Set(walked.unreadable.map((entry) => entry.path));
    const underUnreadable = (relPath: string) => prefixesOf(relPath, unreadable).length > 0;

    if (stored.size > 0 && !allowRemoval) {
      if (walked.files.length === 0) {
        const what =
          inspection.entries === 0
            ? 'folder is empty'
            : unreadable.size > 0
              ? `no audio file could be read (${unreadable.size} entries cannot be read)`
              : 'folder holds no audio files';
        return this.skipOffline(
          library,
          `${what} while the catalog holds ${stored.size} tracks from it`,
          report,
        );
      }
      if (library.device !== null && library.device !== inspection.device) {
        let missing = 0;
        for (const relPath of stored.keys())
          if (!walkedPaths.has(relPath) && !underUnreadable(relPath)) missing++;
        if (missing / stored.size > this.config.scanner.maxRemovalShare)
          return this.skipOffline(
            library,
            `folder is on another device than at the last scan (${library.device}, now ${inspection.device}) and ${missing} of ${stored.size} known files are not there`,
            report,
          );
        // The same files on a new disk, or a network share that got a new device number when remounted.
        this.logger.info(
          { library: library.name, device: inspection.device, was: library.device, missing },
          'library is on another device than at the last scan; its files are there, so it is accepted',
        );
      }
    }

    this.playlistFiles.set(
      libraryId,
      walked.playlists.map((file) => ({ path: file.path, mtime: file.mtime })),
    );
    let guarded = false;
    this.playlistsKept.set(
      libraryId,
      (relPath) => underUnreadable(relPath) || (guarded && !walkedFolderPaths.has(folderOf(relPath))),
    );
    report.filesSeen += walked.files.length;
    report.folders += walked.folders.length;
    this.state.filesSeen = report.filesSeen;
    const keptUnder = new Map<string, number>();
    for (const relPath of stored.keys())
      for (const prefix of prefixesOf(relPath, unreadable))
        keptUnder.set(prefix, (keptUnder.get(prefix) ?? 0) + 1);
    for (const entry of walked.unreadable) {
      const kept = keptUnder.get(entry.path) ?? 0;
      const reason = `${entry.reason}; ${kept} known track${kept === 1 ? '' : 's'} kept`;
      this.logger.warn({ library: library.name, path: entry.path, reason }, 'cannot be read; kept as it was');
      report.errors.push({ path: entry.path, reason });
      this.state.errors++;
    }
    const issues = new Map<string, { file_size: number; file_mtime: number; reason: string }>();
    for (const row of this.db
      .prepare('SELECT path, file_size, file_mtime, reason FROM scan_issue WHERE library_id = ?')
      .all(libraryId) as { path: string; file_size: number; file_mtime: number; reason: string }[])
      issues.set(row.path, row);

    const toRead: WalkedFile[] = [];
    const foundAgain: number[] = [];
    let knownBroken = 0;
    for (const file of walked.files) {
      const known = stored.get(file.path);
      const issue = issues.get(file.path);
      // A file a stream could not find (a disk not yet mounted) is there again.
      if (known && known.missing_since !== null) foundAgain.push(known.pk);
      if (!full && known && known.file_size === file.size && known.file_mtime === file.mtime) continue;
      if (!full && !known && issue && issue.file_size === file.size && issue.file_mtime === file.mtime) {
        report.errors.push({ path: file.path, reason: issue.reason });
        knownBroken++;
        continue;
      }
      toRead.push(file);
    }
    // Not on disk and not under an unreadable folder: gone, or moved (its identity reappears elsewhere).
    const removed = new Map<string, StoredTrack>();
    for (const [relPath, row] of stored)
      if (!walkedPaths.has(relPath) && !underUnreadable(relPath)) removed.set(relPath, row);
    const staleIssues = [...issues.keys()].filter(
      (relPath) => !walkedPaths.has(relPath) && !underUnreadable(relPath),
    );

    const storedFolders = new Map<string, { path: string; mtime: number; images: string }>();
    for (const row of this.db
      .prepare('SELECT id, path, mtime, images FROM folder WHERE library_id = ?')
      .all(libraryId) as { id: string; path: string; mtime: number; images: string }[])
      storedFolders.set(row.id, row);
    const walkedFolderIds = new Set<string>();
    const foldersToWrite: WalkedFolder[] = [];
    for (const folder of walked.folders) {
      const id = folderId(libraryId, folder.path);
      walkedFolderIds.add(id);
      const known = storedFolders.get(id);
      if (!known || known.mtime !== folder.mtime || known.images !== JSON.stringify(folder.images))
        foldersToWrite.push(folder);
    }
    const foldersGone = (kept: ReadonlySet<string>) => {
      // A folder stays while a kept track lies under it (tracks reference their folder).
      const keptFolders = new Set<string>();
      for (const relPath of kept)
        for (let folder = folderOf(relPath); !keptFolders.has(folder); folder = folderOf(folder)) {
          keptFolders.add(folder);
          if (folder === '') break;
        }
      return [...storedFolders]
        .filter(
          ([id, row]) => !walkedFolderIds.has(id) && !keptFolders.has(row.path) && !underUnreadable(row.path),
        )
        .map(([id]) => id);
    };

    if (foundAgain.length > 0) {
      this.db.transaction(() => {
        const clear = this.db.prepare('UPDATE track SET missing_since = NULL WHERE pk = ?');
        for (const pk of foundAgain) clear.run(pk);
      });
    }
    report.unchanged += walked.files.length - toRead.length - knownBroken;
    this.state.filesToRead += toRead.length;
    // Without files to read nothing can claim a removed row as moved, so the guard can decide now
    // (and a scan that only holds removals back writes nothing).
    const keptEarly =
      toRead.length === 0
        ? this.removalGuard(library, stored, removed, new Set(), walkedFolderPaths, allowRemoval, report)
        : undefined;
    if (keptEarly && keptEarly.size > 0) guarded = true;
    const anythingChanged =
      toRead.length > 0 ||
      removed.size > (keptEarly?.size ?? 0) ||
      staleIssues.length > 0 ||
      foldersToWrite.length > 0 ||
      foldersGone(keptEarly ?? new Set()).length > 0;
    if (!anythingChanged) {
      this.cameOnline(library, inspection.device);
      return false;
    }

    this.state.phase = 'reading';
    const now = Date.now();
    const foldersByPath = new Map(walked.folders.map((folder) => [folder.path, folder]));
    const membership = albumFolderMembership(libraryId, walked.folders);
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)')
        .run(REFRESH_MARKER, String(now));
      for (const folder of foldersToWrite) writer.upsertFolder(libraryId, folder, now);
      for (const relPath of staleIssues) writer.clearIssue(libraryId, relPath);
    });

    // Album folders are the unit of work: grouping needs every track of an album folder at once.
    const byAlbumFolder = new Map<string, WalkedFile[]>();
    for (const file of toRead) {
      const key = albumFolderOf(file.path);
      const list = byAlbumFolder.get(key) ?? [];
      list.push(file);
      byAlbumFolder.set(key, list);
    }
    for (const relPath of removed.keys())
      if (!byAlbumFolder.has(albumFolderOf(relPath))) byAlbumFolder.set(albumFolderOf(relPath), []);
    const batches: string[][] = [];
    let current: string[] = [];
    let size = 0;
    for (const [albumFolder, files] of byAlbumFolder) {
      current.push(albumFolder);
      size += files.length;
      if (size >= this.batchFiles) {
        batches.push(current);
        current = [];
        size = 0;
      }
    }
    if (current.length > 0) batches.push(current);

    const readBatch = (albumFolders: string[]) =>
      Promise.all(
        albumFolders
          .flatMap((albumFolder) => byAlbumFolder.get(albumFolder)!)
          .map(async (file) => {
            const outcome = await pool.read({
              ...readRequest(root, file, foldersByPath),
              options: this.readOptions,
            });
            this.state.filesRead++;
            return { file, outcome };
          }),
      );
    const claimed = new Set<number>();
    let next = batches.length > 0 ? readBatch(batches[0]!) : undefined;
    for (let index = 0; index < batches.length; index++) {
      const results = await next!;
      // Read the next batch while this one is written.
      next = index + 1 < batches.length ? readBatch(batches[index + 1]!) : undefined;
      this.db.transaction(() =>
        this.writeBatch(
          libraryId,
          batches[index]!,
          results,
          stored,
          removed,
          claimed,
          membership,
          writer,
          dirty,
          report,
        ),
      );
      if (CRASH_AFTER_BATCHES > 0 && ++this.batchesCommitted >= CRASH_AFTER_BATCHES)
        process.kill(process.pid, 'SIGKILL');
    }

    const kept =
      keptEarly ??
      this.removalGuard(library, stored, removed, claimed, walkedFolderPaths, allowRemoval, report);
    if (kept.size > 0) guarded = true;
    this.db.transaction(() => {
      for (const [relPath, row] of removed) {
        if (claimed.has(row.pk) || kept.has(relPath)) continue;
        const still = writer.findTrackByPath(libraryId, relPath);
        if (still && still.pk === row.pk) {
          writer.deleteTrack(still, dirty);
          report.removed++;
        }
      }
      const touchedFolders = new Set<string>();
      for (const relPath of [...toRead.map((file) => file.path), ...removed.keys()])
        touchedFolders.add(
          folderId(libraryId, path.posix.dirname(relPath) === '.' ? '' : path.posix.dirname(relPath)),
        );
      refreshFolderCounts(
        this.db,
        [...touchedFolders].filter((id) => walkedFolderIds.has(id)),
      );
      // Tracks in vanished folders were among the removed files above, so these folders are empty now.
      writer.deleteFolders(foldersGone(kept));
    });
    this.cameOnline(library, inspection.device);
    return true;
  }

  /** The library was scanned: it is online on this device (logged when it comes back). */
  private cameOnline(library: LibraryRow, device: string): void {
    if (setOnline(this.db, this.logger, library, device))
      this.onAvailabilityChange?.({ libraryId: library.id, online: true });
  }

  /**
   * The mass-removal guard: when this scan would remove more than scanner.maxRemovalShare of the library's
   * tracks, only files whose folder is still there (and readable) are really gone; the others (a sub-folder
   * that is a mount point of its own, a disk that is half there) are kept. Returns the paths kept.
   */
  private removalGuard(
    library: LibraryRow,
    stored: ReadonlyMap<string, StoredTrack>,
    removed: ReadonlyMap<string, StoredTrack>,
    claimed: ReadonlySet<number>,
    walkedFolderPaths: ReadonlySet<string>,
    allowRemoval: boolean,
    report: ScanReport,
  ): Set<string> {
    const kept = new Set<string>();
    const gone = [...removed].filter(([, row]) => !claimed.has(row.pk));
    const share = this.config.scanner.maxRemovalShare;
    if (allowRemoval || stored.size === 0 || gone.length / stored.size <= share) return kept;
    for (const [relPath] of gone) if (!walkedFolderPaths.has(folderOf(relPath))) kept.add(relPath);
    if (kept.size === 0) return kept;
    const entry = {
      libraryId: library.id,
      name: library.name,
      count: kept.size,
      wouldRemove: gone.length,
      total: stored.size,
      maxRemovalShare: share,
    };
    report.keptBack.push(entry);
    this.logger.warn(
      entry,
      `this scan would remove ${gone.length} of ${stored.size} tracks of library ${library.name}, more than scanner.maxRemovalShare (${share}); ${kept.size} whose folders are gone are kept. If they are really gone, run \`${allowRemovalCommand(library.name)}\``,
    );
    return kept;
  }

  private writeBatch(
    libraryId: number,
    albumFolders: string[],
    results: { file: WalkedFile; outcome: ReadOutcome }[],
    stored: Map<string, StoredTrack>,
    removed: Map<string, StoredTrack>,
    claimed: Set<number>,
    membership: Map<string, string[]>,
    writer: CatalogWriter,
    dirty: DirtySets,
    report: ScanReport,
  ): void {
    const now = Date.now();
    const grouping = {
      artistSeparators: this.config.scanner.artistSeparators,
      genreSeparators: this.config.scanner.genreSeparators,
    };
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
          this.logger.warn({ path: file.path, reason }, 'file not read; kept as it was');
          report.errors.push({ path: file.path, reason });
          this.state.errors++;
          if (!previous && outcome.failure === 'reader') writer.recordIssue(libraryId, file, reason, now);
          continue;
        }
        this.logger.warn({ path: file.path, reason: outcome.reason }, 'file skipped');
        report.errors.push({ path: file.path, reason: outcome.reason });
        this.state.errors++;
        writer.recordIssue(libraryId, file, outcome.reason, now);
        // A file whose content is no longer audio is no longer a playable track.
        if (previous) {
          const row = writer.findTrackByPath(libraryId, file.path);
          if (row) writer.deleteTrack(row, dirty);
          report.removed++;
        }
        continue;
      }
      writer.clearIssue(libraryId, file.path);
      fresh.set(file.path, {
        file,
        read: outcome.track,
        inputs: groupingInputsFromRead(outcome.track, file.path, grouping),
      });
    }

    // Unchanged tracks of these album folders take part in grouping with what they stored.
    const unchanged: { row: ExistingTrack; inputs: GroupingInputs }[] = [];
    if (stored.size > 0) {
      const folderIds = albumFolders.flatMap(
        (albumFolder) => membership.get(albumFolder) ?? [folderId(libraryId, albumFolder)],
      );
      const rows = this.db
        .prepare(
          `SELECT pk, id, library_id, path, album_id, created_at, title, album_name, compilation, mbz_album_id, mbz_track_id, disc_number, track_number, suffix, tags FROM track WHERE folder_id IN (SELECT value FROM json_each(?))`,
        )
        .all(JSON.stringify(folderIds)) as (ExistingTrack & {
        title: string;
        album_name: string;
        compilation: number;
        mbz_album_id: string | null;
        mbz_track_id: string | null;
        disc_number: number;
        track_number: number | null;
        suffix: string;
        tags: string;
      })[];
      for (const row of rows) {
        if (fresh.has(row.path) || removed.has(row.path)) continue;
        const tags = JSON.parse(row.tags) as { g?: Omit<GroupingInputs, 'path'> };
        if (!tags.g) continue;
        unchanged.push({ row, inputs: { ...tags.g, path: row.path } });
      }
    }

    const members = [
      ...[...fresh.values()].map((entry) => entry.inputs),
      ...unchanged.map((entry) => entry.inputs),
    ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const identities = groupMembers(members);
    const takenInBatch = new Map<string, string>();
    const removedByPk = new Map([...removed.values()].map((row) => [row.pk, row]));

    for (const member of members) {
      const identity = identities.get(member.path)!;
      const entry = fresh.get(member.path);
      const samePath = entry
        ? stored.get(member.path)
        : unchanged.find((item) => item.row.path === member.path)?.row;
      let candidate = identity.baseTrackId;
      let moveSource: ExistingTrack | undefined;
      for (let attempt = 1; ; attempt++) {
        const takenBy = takenInBatch.get(candidate);
        const owner = takenBy === undefined ? writer.findTrackById(candidate) : undefined;
        const free =
          takenBy === undefined &&
          (!owner ||
            (owner.library_id === libraryId && owner.path === member.path) ||
            (removedByPk.has(owner.pk) && !claimed.has(owner.pk) && owner.library_id === libraryId));
        if (free) {
          if (owner && owner.path !== member.path) moveSource = owner;
          break;
        }
        candidate =
          attempt <= 2
            ? disambiguatedTrackId(identity.baseTrackId, member.suffix, member.path, attempt)
            : `${identity.baseTrackId}-${attempt}`;
      }
      takenInBatch.set(candidate, member.path);

      if (!entry) {
        const row = samePath as ExistingTrack;
        if (row.id !== candidate || row.album_id !== identity.albumId) {
          writer.reidentifyTrack(
            row,
            {
              id: candidate,
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
      let existing = samePath ? writer.findTrackByPath(libraryId, member.path) : undefined;
      if (!existing && moveSource) {
        existing = moveSource;
        claimed.add(moveSource.pk);
        report.moved++;
      } else if (existing) report.updated++;
      else report.added++;
      writer.writeTrack(
        this.toTrackWrite(libraryId, entry.file, entry.read, entry.inputs, identity, candidate),
        existing,
        now,
        dirty,
      );
    }
  }

  private toTrackWrite(
    libraryId: number,
    file: WalkedFile,
    read: ReadTrack,
    inputs: GroupingInputs,
    identity: { albumId: string; albumArtists: string[]; albumArtistDisplay: string },
    id: string,
  ): TrackWrite {
    const separators = this.config.scanner.artistSeparators;
    const links: TrackLinkArtist[] = inputs.artists.map((name, index) => ({
      name,
      role: 'artist',
      sortName: index === 0 ? read.artistSort : null,
    }));
    for (const composer of read.composers.flatMap((name) => splitArtists(name, [], separators)))
      links.push({ name: composer, role: 'composer' });
    for (const credit of read.roles)
      for (const name of splitArtists(credit.name, [], separators)) links.push({ name, role: credit.role });
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
      genres: splitGenres(read.genres, this.config.scanner.genreSeparators),
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
}

function mergeDirty(a: DirtySets, b: DirtySets): DirtySets {
  return {
    albums: new Set([...a.albums, ...b.albums]),
    artists: new Set([...a.artists, ...b.artists]),
    trackPks: new Set([...a.trackPks, ...b.trackPks]),
    albumPks: new Set([...a.albumPks, ...b.albumPks]),
    artistPks: new Set([...a.artistPks, ...b.artistPks]),
  };
}

/** Album folder → the folder ids whose tracks belong to it: itself and its "CD 1"-style disc sub-folders. */
function albumFolderMembership(libraryId: number, folders: readonly WalkedFolder[]): Map<string, string[]> {
  const members = new Map<string, string[]>();
  for (const folder of folders) {
    const parent = path.posix.dirname(folder.path) === '.' ? '' : path.posix.dirname(folder.path);
    const isDisc = folder.path !== '' && discNumberFromFolder(folder.name) !== undefined;
    const owner = isDisc ? parent : folder.path;
    const list = members.get(owner) ?? [];
    list.push(folderId(libraryId, folder.path));
    members.set(owner, list);
  }
  return members;
}

function readRequest(root: string, file: WalkedFile, foldersByPath: Map<string, WalkedFolder>) {
  const relFolder = path.posix.dirname(file.path) === '.' ? '' : path.posix.dirname(file.path);
  const folder = foldersByPath.get(relFolder);
  const stem = path.posix.basename(file.path).replace(/\.[^.]+$/, '');
  const sidecar = (extension: string) => {
    const name = folder?.lyricFiles.find(
      (candidate) => candidate.toLowerCase() === `${stem}.${extension}`.toLowerCase(),
    );
    return name ? path.join(root, relFolder, name) : undefined;
  };
  const lrcFile = sidecar('lrc');
  const txtFile = sidecar('txt');
  return {
    file: path.join(root, file.path),
    size: file.size,
    ...(lrcFile ? { lrcFile } : {}),
    ...(txtFile ? { txtFile } : {}),
  };
}
