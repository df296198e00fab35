// What a running or finished scan reports: read by the CLI progress bar, /metrics, and later the
// Subsonic getScanStatus and the web app.

export interface ScanReport {
  startedAt: number;
  finishedAt: number;
  full: boolean;
  /** Audio files seen on disk. */
  filesSeen: number;
  folders: number;
  added: number;
  updated: number;
  removed: number;
  moved: number;
  unchanged: number;
  /**
   * Files that could not be imported (corrupt, empty, not audio), and folders and files that could not be
   * read (their known tracks kept: the reason says so).
   */
  errors: { path: string; reason: string }[];
  /** Libraries skipped because they look unavailable (unmounted, empty, another disk): nothing changed. */
  offline: { libraryId: number; name: string; path: string; reason: string }[];
  /** Libraries where the removal guard kept tracks whose folders are gone (scanner.maxRemovalShare). */
  keptBack: {
    libraryId: number;
    name: string;
    /** Tracks kept. */
    count: number;
    /** Tracks this scan would have removed, of the library's total. */
    wouldRemove: number;
    total: number;
    maxRemovalShare: number;
  }[];
  /** Rows the scan wrote; 0 when nothing on disk changed. */
  rowsWritten: number;
  durationMs: number;
}

export interface ScanProgress {
  scanning: boolean;
  /** 'waiting': another process (the server, `tonearm scan`) is scanning this database; this one follows. */
  phase: 'idle' | 'waiting' | 'walking' | 'reading' | 'finishing';
  /** While waiting: the process whose scan runs. */
  waitingFor?: { pid: number; host: string; since: string } | undefined;
  full: boolean;
  startedAt: number | null;
  /** The library being walked or read now; absent or null between libraries and when idle. */
  library?: { id: number; name: string } | null;
  /** Files found on disk so far (all libraries). */
  filesSeen: number;
  /** Files whose tags must be read in this scan, and how many of them are done. */
  filesToRead: number;
  filesRead: number;
  folders: number;
  errors: number;
  lastReport: ScanReport | null;
}

export interface ScanStatusSource {
  progress(): ScanProgress;
}

/**
 * The command that lets a scan remove what it keeps in one library, naming it: `tonearm scan --full
 * --allow-removal --library NAME`, the name quoted for a shell when it needs to be ("NAS Share").
 */
export function allowRemovalCommand(libraryName: string): string {
  return `tonearm scan --full --allow-removal --library ${shellWord(libraryName)}`;
}

/** A word a POSIX shell reads back as `word`: as it is when plain, else in double or single quotes. */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9._/@%+=:,-]+$/.test(word)) return word;
  if (!/[$`"\\!]/.test(word)) return `"${word}"`;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
