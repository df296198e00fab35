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
  /** Files that could not be imported (corrupt, empty, not audio), with the reason. */
  errors: { path: string; reason: string }[];
  /** Rows the scan wrote; 0 when nothing on disk changed. */
  rowsWritten: number;
  durationMs: number;
}

export interface ScanProgress {
  scanning: boolean;
  phase: 'idle' | 'walking' | 'reading' | 'finishing';
  full: boolean;
  startedAt: number | null;
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
