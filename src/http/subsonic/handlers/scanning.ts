// getScanStatus and startScan (admin only) over the library scanner.
import { lastScanAt, viewerFor, visibleLibraries } from '../../../catalog/access.ts';
import { trackCount } from '../../../catalog/lookup.ts';
import { listLibraries } from '../../../library/library.repository.ts';
import type { ScanProgress } from '../../../library/scan-status.ts';
import { TonearmError } from '../../../shared/errors.ts';
import type { SubsonicEndpoint, SubsonicRequest } from '../endpoint.ts';
import { isoDate } from '../mappers.ts';
import { mapOptions } from './browsing.ts';

/**
 * Tonearm's addition: each library the caller may see, online or offline (an unmounted share) with since
 * when and why. Its tracks stay listed while it is offline; this tells a client why they do not play.
 */
function libraryStates(request: SubsonicRequest) {
  const visible = new Set(
    visibleLibraries(request.db, viewerFor(request.catalog, request.user!)).map((library) => library.id),
  );
  return listLibraries(request.db)
    .filter((library) => visible.has(library.id))
    .map((library) => ({
      id: library.id,
      name: library.name,
      online: library.offline_since === null,
      offlineSince: isoDate(library.offline_since),
      offlineReason: library.offline_reason ?? undefined,
    }));
}

/** count: files seen so far while scanning, else the number of songs; folderCount/lastScan are Navidrome's additions. */
function scanStatus(request: SubsonicRequest, progress: ScanProgress | undefined, scanning: boolean) {
  const legacy = mapOptions(request).legacy;
  const count = scanning ? (progress?.filesSeen ?? 0) : trackCount(request.db);
  const folders = progress?.lastReport?.folders ?? progress?.folders ?? 0;
  return {
    scanStatus: {
      scanning,
      count,
      // Not in the Subsonic XSD: left out for legacy clients, whose XML is checked against it.
      folderCount: legacy ? undefined : folders,
      lastScan: legacy ? undefined : isoDate(lastScanAt(request.db)),
      library: legacy ? undefined : libraryStates(request),
    },
  };
}

const getScanStatus: SubsonicEndpoint = {
  name: 'getScanStatus',
  handle: (request) => {
    const progress = request.services.scanner?.progress();
    return scanStatus(request, progress, progress?.scanning ?? false);
  },
};

const startScan: SubsonicEndpoint = {
  name: 'startScan',
  handle: (request) => {
    if (!request.user?.isAdmin) throw new TonearmError('FORBIDDEN', 'only administrators may start a scan');
    const full = request.params.bool('fullScan') ?? false;
    const { scanner, logger } = request.services;
    if (!scanner) throw new TonearmError('BAD_REQUEST', 'scanning is not available on this server');
    // The scan runs in the background; the answer says it has started.
    scanner
      .scan({ full })
      .catch((error: unknown) => logger.error({ err: error }, 'scan started by startScan failed'));
    return scanStatus(request, scanner.progress(), true);
  },
};

export const scanningEndpoints: readonly SubsonicEndpoint[] = [getScanStatus, startScan];
