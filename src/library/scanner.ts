// The scanner: walk → diff against the database → read tags (worker threads) → group into albums →
// write in small transactions → refresh albums, artists, genres and the search index. Unchanged files
// (same size and mtime) are never re-read; a rescan with nothing changed writes nothing. Each batch is
// its own transaction, and a marker row makes the next scan finish the refresh if this one is killed.
// A library that looks unavailable (availability.ts) is skipped and marked offline, its catalog kept;
// tracks under folders that cannot be read, and of files whose read fails (an I/O error, not a verdict on
// their content), are kept; and a scan that would remove more than scanner.maxRemovalShare of a library
// removes only files whose folder is still there (removal guard).
import { ensureSearchIndex, rebuildSearchIndex } from '../catalog/search.ts';
import type { Config } from '../config/schema.ts';
import { automaticWorkerCount } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import type { LibraryRow } from '../db/schema.ts';
import { TonearmError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { EventHub } from '../system/events.ts';
import { type AvailabilityChange, inspectRoot, setOffline, setOnline } from './availability.ts';
import { allDirty, refreshCatalog } from './catalog.refresh.ts';
import { CatalogWriter, type DirtySets, emptyDirtySets } from './catalog.writer.ts';
import { articlesFrom } from '../music/identity.ts';
import { listLibraries, markLibraryScanned } from './library.repository.ts';
import { importPlaylistFiles } from './playlist-import.ts';
import { ffprobeBeside } from './probe-duration.ts';
import {
  albumFolderBatches,
  albumFolderMembership,
  diffLibrary,
  folderIdsOf,
  guardRemovals,
  type LibraryDiff,
  keptUnderUnreadable,
  unavailableReason,
} from './scan-diff.ts';
import { ScanAnnouncer } from './scan-events.ts';
import { ScanLease } from './scan-lease.ts';
import { loadKnown, readFiles, walkOrReason } from './scan-load.ts';
import {
  allowRemovalCommand,
  type ScanProgress,
  type ScanReport,
  type ScanStatusSource,
} from './scan-status.ts';
import { LibraryWrites } from './scan-write.ts';
import { clearRefreshPending, isRefreshPending } from './scan.repository.ts';
import { TagReaderPool } from './tag-reader-pool.ts';
import type { TagReadOptions } from './tags.ts';
import { folderOf } from './walk.ts';

// Small batches keep each write transaction short (tens of ms), so HTTP requests are not held up during a scan.
const BATCH_FILES = 64;
/** Fault injection for the crash-safety test: the process kills itself after this many committed batches. */
const CRASH_AFTER_BATCHES = Number(process.env.TONEARM_TEST_CRASH_AFTER_BATCHES ?? 0);

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

export class Scanner implements ScanStatusSource {
  private readonly db: Database;
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly articles: string[];
  private readonly readOptions: TagReadOptions;
  private running: Promise<ScanReport> | undefined;
  private queued: { full: boolean; allowRemovalIn: Set<number>; libraryIds: Set<number> | 'all' } | undefined;
  private readonly onAvailabilityChange: ((change: AvailabilityChange) => void) | undefined;
  private readonly onFinished: ((report: ScanReport) => void) | undefined;
  private readonly onWaiting: ((holder: { pid: number; host: string; since: string }) => void) | undefined;
  private readonly events: EventHub | undefined;
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
    /** Where scan progress and library changes are announced (the server's live events). */
    events?: EventHub;
    /** Told when a scan finished and its result is in the catalog (serve announces new releases). */
    onFinished?: (report: ScanReport) => void;
  }) {
    this.onFinished = deps.onFinished;
    this.events = deps.events;
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
      this.state = { ...this.state, scanning: false, phase: 'idle', library: null };
      if (this.queued) void this.runQueued();
    });
    this.running = run;
    return run;
  }

  private async run(options: ScanOptions): Promise<ScanReport> {
    // Another process (the server, `tonearm scan`) may be scanning this database: take turns.
    const lease = new ScanLease(this.db.folder);
    this.state = { ...this.state, scanning: true, phase: 'waiting', full: Boolean(options.full) };
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
    const pendingFromCrash = isRefreshPending(this.db);
    const pool = new TagReaderPool(this.config.scanner.workers || automaticWorkerCount());
    const changedLibraries = new Set<number>();
    this.playlistFiles = new Map();
    this.playlistsKept = new Map();
    const announcer = new ScanAnnouncer(this.events, () => this.state);
    try {
      for (const library of libraries) {
        announcer.libraryStarted(library.id, report);
        const changed = await this.scanLibrary(
          library,
          { full, allowRemoval: options.allowRemovalIn?.includes(library.id) ?? false },
          pool,
          dirty,
          report,
        );
        announcer.libraryDone(report);
        if (changed) changedLibraries.add(library.id);
      }
    } finally {
      announcer.stop();
      await pool.close();
    }

    this.state.phase = 'finishing';
    this.state.library = null;
    announcer.finishing();
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
        clearRefreshPending(this.db);
        for (const id of changedLibraries) markLibraryScanned(this.db, id, now, true);
      });
    }
    // Playlist files are matched against the tracks just written, so they come last.
    await importPlaylistFiles(this.db, libraries, this.logger, this.playlistFiles, this.playlistsKept);
    report.finishedAt = Date.now();
    report.durationMs = report.finishedAt - startedAt;
    report.rowsWritten = this.db.totalChanges() - changesBefore;
    this.state.lastReport = report;
    announcer.finished(report);
    this.onFinished?.(report);
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
    this.state.phase = 'walking';
    this.state.library = { id: libraryId, name: library.name };
    // A vanished mount must not empty the library: skip it and keep what is known.
    const inspection = await inspectRoot(root);
    if (!inspection.ok) return this.skipOffline(library, inspection.reason, report);
    const walk = await walkOrReason(root, {
      followSymlinks: this.config.scanner.followSymlinks,
      onFolder: (count) => (this.state.folders = report.folders + count),
    });
    if ('reason' in walk) return this.skipOffline(library, walk.reason, report);
    const { walked } = walk;

    const known = loadKnown(this.db, libraryId);
    const stored = known.tracks;
    const diff = diffLibrary(libraryId, walked, known, { full });
    if (stored.size > 0 && !allowRemoval) {
      const unavailable = unavailableReason({
        knownTracks: stored.size,
        walkedFiles: walked.files.length,
        rootEntries: inspection.entries,
        unreadableEntries: new Set(walked.unreadable.map((entry) => entry.path)).size,
        device: { was: library.device, now: inspection.device },
        missing: diff.removed.size,
        maxRemovalShare: this.config.scanner.maxRemovalShare,
      });
      if (unavailable) return this.skipOffline(library, unavailable, report);
      if (library.device !== null && library.device !== inspection.device)
        // The same files on a new disk, or a network share that got a new device number when remounted.
        this.logger.info(
          {
            library: library.name,
            device: inspection.device,
            was: library.device,
            missing: diff.removed.size,
          },
          'library is on another device than at the last scan; its files are there, so it is accepted',
        );
    }

    this.playlistFiles.set(
      libraryId,
      walked.playlists.map((file) => ({ path: file.path, mtime: file.mtime })),
    );
    let guarded = false;
    this.playlistsKept.set(
      libraryId,
      (relPath) =>
        diff.underUnreadable(relPath) || (guarded && !diff.walkedFolderPaths.has(folderOf(relPath))),
    );
    report.filesSeen += walked.files.length;
    report.folders += walked.folders.length;
    this.state.filesSeen = report.filesSeen;
    const keptUnder = keptUnderUnreadable(stored.keys(), walked.unreadable);
    for (const entry of walked.unreadable) {
      const kept = keptUnder.get(entry.path) ?? 0;
      const reason = `${entry.reason}; ${kept} known track${kept === 1 ? '' : 's'} kept`;
      this.logger.warn({ library: library.name, path: entry.path, reason }, 'cannot be read; kept as it was');
      report.errors.push({ path: entry.path, reason });
      this.state.errors++;
    }
    for (const broken of diff.knownBroken) report.errors.push(broken);

    const writes = new LibraryWrites({
      db: this.db,
      libraryId,
      writer: new CatalogWriter(this.db, this.articles),
      scanner: this.config.scanner,
      logger: this.logger,
      dirty,
      report,
      onError: () => this.state.errors++,
      stored,
      removed: diff.removed,
    });
    writes.clearMissing(diff.foundAgain);
    report.unchanged += diff.unchanged;
    this.state.filesToRead += diff.toRead.length;
    // Without files to read nothing can claim a removed row as moved, so the guard can decide now
    // (and a scan that only holds removals back writes nothing).
    const keptEarly =
      diff.toRead.length === 0
        ? this.removalGuard(library, stored.size, diff, new Set(), allowRemoval, report)
        : undefined;
    if (keptEarly && keptEarly.size > 0) guarded = true;
    const anythingChanged =
      diff.toRead.length > 0 ||
      diff.removed.size > (keptEarly?.size ?? 0) ||
      diff.staleIssues.length > 0 ||
      diff.foldersToWrite.length > 0 ||
      diff.foldersGone(keptEarly ?? new Set()).length > 0;
    if (!anythingChanged) {
      this.cameOnline(library, inspection.device);
      return false;
    }

    this.state.phase = 'reading';
    const foldersByPath = new Map(walked.folders.map((folder) => [folder.path, folder]));
    const membership = albumFolderMembership(libraryId, walked.folders);
    writes.begin(diff.foldersToWrite, diff.staleIssues, Date.now());

    const { filesOf, batches } = albumFolderBatches(diff.toRead, diff.removed.keys(), this.batchFiles);
    const readBatch = (albumFolders: string[]) =>
      readFiles(
        pool,
        root,
        albumFolders.flatMap((albumFolder) => filesOf.get(albumFolder)!),
        foldersByPath,
        this.readOptions,
        () => this.state.filesRead++,
      );
    let next = batches.length > 0 ? readBatch(batches[0]!) : undefined;
    for (let index = 0; index < batches.length; index++) {
      const results = await next!;
      // Read the next batch while this one is written.
      next = index + 1 < batches.length ? readBatch(batches[index + 1]!) : undefined;
      writes.writeBatch(batches[index]!, results, membership);
      if (CRASH_AFTER_BATCHES > 0 && ++this.batchesCommitted >= CRASH_AFTER_BATCHES)
        process.kill(process.pid, 'SIGKILL');
    }

    const kept =
      keptEarly ?? this.removalGuard(library, stored.size, diff, writes.claimed, allowRemoval, report);
    if (kept.size > 0) guarded = true;
    const touched = folderIdsOf(libraryId, [...diff.toRead.map((file) => file.path), ...diff.removed.keys()]);
    writes.finish(
      kept,
      [...touched].filter((id) => diff.walkedFolderIds.has(id)),
      diff.foldersGone(kept),
    );
    this.cameOnline(library, inspection.device);
    return true;
  }

  /** The library was scanned: it is online on this device (logged when it comes back). */
  private cameOnline(library: LibraryRow, device: string): void {
    if (setOnline(this.db, this.logger, library, device))
      this.onAvailabilityChange?.({ libraryId: library.id, online: true });
  }

  /**
   * The removal guard (scan-diff.ts guardRemovals), reported and logged when it keeps tracks back.
   * Returns the paths kept.
   */
  private removalGuard(
    library: LibraryRow,
    knownTracks: number,
    diff: LibraryDiff,
    claimed: ReadonlySet<number>,
    allowRemoval: boolean,
    report: ScanReport,
  ): Set<string> {
    const share = this.config.scanner.maxRemovalShare;
    const { kept, wouldRemove } = guardRemovals({
      knownTracks,
      removed: diff.removed,
      claimed,
      walkedFolderPaths: diff.walkedFolderPaths,
      maxRemovalShare: share,
      allowRemoval,
    });
    if (kept.size === 0) return kept;
    const entry = {
      libraryId: library.id,
      name: library.name,
      count: kept.size,
      wouldRemove,
      total: knownTracks,
      maxRemovalShare: share,
    };
    report.keptBack.push(entry);
    this.logger.warn(
      entry,
      `this scan would remove ${wouldRemove} of ${knownTracks} tracks of library ${library.name}, more than scanner.maxRemovalShare (${share}); ${kept.size} whose folders are gone are kept. If they are really gone, run \`${allowRemovalCommand(library.name)}\``,
    );
    return kept;
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
