// Scans: start one (administrators, as Subsonic startScan) and follow it. The status is what Subsonic
// getScanStatus reports, with the scanner's whole progress (library/scan-status.ts): phase, counts, the
// library being scanned, and the last scan's report.
import { z } from 'zod';
import { assertCanStartScan } from '../../accounts/permissions.ts';
import { lastScanAt } from '../../catalog/access.ts';
import { trackCount } from '../../catalog/lookup.ts';
import { findLibrary } from '../../library/library.repository.ts';
import type { ScanProgress, ScanReport } from '../../library/scan-status.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { Services } from '../services.ts';
import { type AnyRoute, route } from './route.ts';
import { isoOrNull, isoTime } from './schemas.ts';

/** File errors listed in a report (the count is always whole). */
const MAX_LISTED_ERRORS = 100;

const count = z.number().int().min(0);

const scanReportSchema = z
  .object({
    startedAt: isoTime,
    finishedAt: isoTime,
    full: z.boolean(),
    durationMs: count,
    filesSeen: count,
    folders: count,
    added: count,
    updated: count,
    removed: count,
    moved: count,
    unchanged: count,
    rowsWritten: count.describe('0 when nothing on disk changed.'),
    errorCount: count,
    errors: z
      .array(z.object({ path: z.string(), reason: z.string() }))
      .optional()
      .describe(
        `Files and folders that could not be read or imported (administrators; the first ${MAX_LISTED_ERRORS}).`,
      ),
    offline: z
      .array(
        z.object({
          libraryId: z.number().int(),
          name: z.string(),
          path: z.string().optional(),
          reason: z.string(),
        }),
      )
      .describe('Libraries skipped because they look unavailable (path: administrators).'),
    keptBack: z
      .array(
        z.object({
          libraryId: z.number().int(),
          name: z.string(),
          count: count.describe('Tracks kept by the removal guard.'),
          wouldRemove: count,
          total: count,
          maxRemovalShare: z.number(),
        }),
      )
      .describe('Libraries where the removal guard kept tracks whose folders are gone.'),
  })
  .meta({ id: 'ScanReport' });

const scanStatusSchema = z
  .object({
    scanning: z.boolean(),
    phase: z
      .enum(['idle', 'waiting', 'walking', 'reading', 'finishing'])
      .describe('waiting: another process (tonearm scan) is scanning this database; this scan follows.'),
    full: z.boolean().describe('The running (or last) scan re-reads every file.'),
    startedAt: isoTime.nullable().describe('When the running scan started; null when idle or waiting.'),
    waitingFor: z
      .object({ pid: z.number().int(), host: z.string(), since: z.string() })
      .nullable()
      .describe('While waiting: the process whose scan runs.'),
    library: z
      .object({ id: z.number().int(), name: z.string() })
      .nullable()
      .describe('The library being scanned now.'),
    filesSeen: count.describe('Audio files found on disk so far (the last scan’s when idle or waiting).'),
    filesToRead: count.describe('Files whose tags this scan reads.'),
    filesRead: count,
    folders: count,
    errors: count,
    trackCount: count.describe('Tracks in the catalog.'),
    lastScanAt: isoTime.nullable().describe('When a scan last changed a library.'),
    lastReport: scanReportSchema.nullable(),
  })
  .meta({ id: 'ScanStatus' });

function reportJson(report: ScanReport, admin: boolean): z.input<typeof scanReportSchema> {
  const { errors, offline, startedAt, finishedAt, ...counts } = report;
  return {
    ...counts,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    errorCount: errors.length,
    ...(admin ? { errors: errors.slice(0, MAX_LISTED_ERRORS) } : {}),
    // Paths on the server's disks are for administrators.
    offline: offline.map(({ path, ...library }) => (admin ? { ...library, path } : library)),
    keptBack: report.keptBack,
  };
}

const IDLE: ScanProgress = {
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

function statusJson(
  services: Services,
  progress: ScanProgress,
  admin: boolean,
): z.input<typeof scanStatusSchema> {
  const { db } = services;
  // While it waits for another process, the figures are still the last scan's.
  const running = progress.scanning && progress.phase !== 'waiting';
  return {
    scanning: progress.scanning,
    phase: progress.phase,
    full: progress.full,
    startedAt: running ? isoOrNull(progress.startedAt) : null,
    waitingFor: progress.phase === 'waiting' ? (progress.waitingFor ?? null) : null,
    library: progress.library ?? null,
    filesSeen: progress.filesSeen,
    filesToRead: progress.filesToRead,
    filesRead: progress.filesRead,
    folders: progress.folders,
    errors: progress.errors,
    trackCount: trackCount(db),
    lastScanAt: isoOrNull(lastScanAt(db)),
    lastReport: progress.lastReport ? reportJson(progress.lastReport, admin) : null,
  };
}

function progressOf(services: Services): ScanProgress {
  return services.scanner?.progress() ?? services.scanStatus?.progress() ?? IDLE;
}

export const scanRoutes: readonly AnyRoute[] = [
  route({
    method: 'post',
    path: '/scans',
    tag: 'Scans',
    summary: 'Start a scan of every library, or of one',
    description:
      'Answers at once (202) with the status; follow it with GET /scans/status. 409 while a scan runs. ' +
      'full re-reads every file, not only new and changed ones.',
    access: 'admin',
    body: z.strictObject({
      full: z.boolean().default(false),
      libraryId: z.number().int().optional().describe('Only this library (default: all).'),
    }),
    response: scanStatusSchema,
    status: 202,
    errors: [404, 409],
    handle: ({ ctx, services, user, body }) => {
      assertCanStartScan(user);
      const { scanner } = services;
      if (!scanner) throw new TonearmError('BAD_REQUEST', 'scanning is not available on this server');
      if (body.libraryId !== undefined && !findLibrary(services.db, body.libraryId))
        throw new TonearmError('NOT_FOUND', `there is no library with id ${body.libraryId}`);
      // Checked and started with nothing awaited in between: the scanner is marked running synchronously.
      if (scanner.progress().scanning) throw new TonearmError('SCAN_RUNNING', 'a scan is already running');
      scanner
        .scan({ full: body.full, ...(body.libraryId !== undefined ? { libraryIds: [body.libraryId] } : {}) })
        .catch((error: unknown) =>
          services.logger.error({ err: error }, 'scan started through the API failed'),
        );
      ctx.state.log.info({ user: user.username, full: body.full, library: body.libraryId }, 'scan started');
      return statusJson(services, scanner.progress(), true);
    },
  }),
  route({
    method: 'get',
    path: '/scans/status',
    tag: 'Scans',
    summary: 'How the running or last scan goes',
    access: 'user',
    response: scanStatusSchema,
    handle: ({ services, user }) => statusJson(services, progressOf(services), user.isAdmin),
  }),
];
