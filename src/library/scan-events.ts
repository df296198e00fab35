// What a scan tells the live event hub (src/system/events.ts): progress in the library being scanned, at
// most a few times a second (a timer looks at the scanner's counters; the scanner's loops stay free of
// event code), then, once the catalog holds the result, each library's counts and, where something
// changed, a library.changed. Counters are the scan's running totals less where they stood when the
// library began, so each library's numbers are its own.
import type { EventHub } from '../system/events.ts';
import type { ScanProgress, ScanReport } from './scan-status.ts';

/** How often progress may be published while a library is scanned. */
export const SCAN_PROGRESS_INTERVAL_MS = 250;

type Counters = Pick<ScanProgress, 'filesSeen' | 'filesToRead' | 'filesRead' | 'folders' | 'errors'>;
type ReportCounts = Pick<ScanReport, 'added' | 'updated' | 'removed' | 'moved' | 'unchanged'> & {
  errors: number;
};

interface LibraryOutcome {
  libraryId: number;
  /** The library's progress counters at its end. */
  progress: Counters;
  counts: ReportCounts;
  offline: string | null;
}

export class ScanAnnouncer {
  private readonly hub: EventHub | undefined;
  private readonly progress: () => ScanProgress;
  private timer: NodeJS.Timeout | undefined;
  private current: { libraryId: number; counters: Counters; report: ReportCounts } | undefined;
  private lastSent = '';
  private readonly outcomes: LibraryOutcome[] = [];

  constructor(hub: EventHub | undefined, progress: () => ScanProgress) {
    this.hub = hub;
    this.progress = progress;
  }

  libraryStarted(libraryId: number, report: ScanReport): void {
    if (!this.hub) return;
    this.current = { libraryId, counters: countersOf(this.progress()), report: reportCounts(report) };
    this.lastSent = '';
    // The scanner's phase is still the previous library's until its walk starts.
    this.publishProgress('walking');
    this.timer = setInterval(() => this.publishProgress(), SCAN_PROGRESS_INTERVAL_MS);
    this.timer.unref();
  }

  libraryDone(report: ScanReport): void {
    const current = this.current;
    if (!this.hub || !current) return;
    clearInterval(this.timer);
    this.publishProgress();
    const now = reportCounts(report);
    const before = current.report;
    this.outcomes.push({
      libraryId: current.libraryId,
      progress: difference(countersOf(this.progress()), current.counters),
      counts: {
        added: now.added - before.added,
        updated: now.updated - before.updated,
        removed: now.removed - before.removed,
        moved: now.moved - before.moved,
        unchanged: now.unchanged - before.unchanged,
        errors: now.errors - before.errors,
      },
      offline: report.offline.find((entry) => entry.libraryId === current.libraryId)?.reason ?? null,
    });
    this.current = undefined;
  }

  /** The catalog refresh runs: one progress event per library scanned. */
  finishing(): void {
    if (!this.hub) return;
    const state = this.progress();
    for (const outcome of this.outcomes)
      if (outcome.offline === null)
        this.hub.publish(
          'scan.progress',
          { ...this.base(outcome.libraryId, state, outcome.progress), phase: 'finishing' },
          { libraryIds: [outcome.libraryId] },
        );
  }

  /** The scan is over and its result is in the catalog. */
  finished(report: ScanReport): void {
    const hub = this.hub;
    if (!hub) return;
    clearInterval(this.timer);
    for (const { libraryId, counts, offline } of this.outcomes) {
      const audience = { libraryIds: [libraryId] };
      hub.publish(
        'scan.finished',
        { libraryId, full: report.full, ...counts, offline, durationMs: report.durationMs },
        audience,
      );
      const { added, updated, removed, moved } = counts;
      if (added + updated + removed + moved > 0)
        hub.publish(
          'library.changed',
          { libraryId, source: 'scan', added, updated, removed, moved },
          audience,
        );
    }
  }

  /** Stops the timer when a scan fails half-way. */
  stop(): void {
    clearInterval(this.timer);
  }

  private publishProgress(phase?: 'walking'): void {
    const current = this.current;
    if (!this.hub || !current) return;
    const state = this.progress();
    const now = phase ?? state.phase;
    if (now !== 'walking' && now !== 'reading') return;
    const counters = difference(countersOf(state), current.counters);
    const event = { ...this.base(current.libraryId, state, counters), phase: now };
    const key = JSON.stringify(event);
    if (key === this.lastSent) return;
    this.lastSent = key;
    this.hub.publish('scan.progress', event, { libraryIds: [current.libraryId] });
  }

  private base(libraryId: number, state: ScanProgress, counters: Counters) {
    return {
      libraryId,
      full: state.full,
      startedAt: new Date(state.startedAt ?? Date.now()).toISOString(),
      ...counters,
    };
  }
}

function difference(now: Counters, before: Counters): Counters {
  return {
    filesSeen: now.filesSeen - before.filesSeen,
    filesToRead: now.filesToRead - before.filesToRead,
    filesRead: now.filesRead - before.filesRead,
    folders: now.folders - before.folders,
    errors: now.errors - before.errors,
  };
}

function countersOf(state: Counters): Counters {
  const { filesSeen, filesToRead, filesRead, folders, errors } = state;
  return { filesSeen, filesToRead, filesRead, folders, errors };
}

function reportCounts(report: ScanReport): ReportCounts {
  const { added, updated, removed, moved, unchanged } = report;
  return { added, updated, removed, moved, unchanged, errors: report.errors.length };
}
