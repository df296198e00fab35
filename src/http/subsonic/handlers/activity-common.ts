// Helpers shared by the activity handlers (annotation, playlists, queue, bookmarks, shares, radio, chat).
import type { User } from '../../../accounts/users.service.ts';
import { viewerFor } from '../../../catalog/access.ts';
import { tracksById } from '../../../catalog/browse.ts';
import { TonearmError } from '../../../shared/errors.ts';
import type { SubsonicRequest } from '../endpoint.ts';
import { isLegacyClient, isoDate, toChild } from '../mappers.ts';
import type { SubsonicParams } from '../params.ts';
import { mapOptions } from './browsing.ts';

export type Payload = Record<string, unknown>;

export { isoDate };

/** The caller (every activity endpoint needs authentication, so the router always sets it). */
export function caller(request: SubsonicRequest): User {
  if (!request.user) throw new TonearmError('WRONG_CREDENTIALS', 'authentication required');
  return request.user;
}

export function legacy(request: SubsonicRequest): boolean {
  return isLegacyClient(request.client);
}

/** Subsonic Child objects for the given track ids, by id (missing or hidden tracks are absent). */
export function childrenById(request: SubsonicRequest, ids: readonly string[]): Map<string, Payload> {
  const user = caller(request);
  const unique = [...new Set(ids)];
  const tracks = tracksById(request.db, viewerFor(request.catalog, user), unique);
  const options = mapOptions(request);
  return new Map(tracks.map((track) => [track.id, toChild(track, options)]));
}

/** Children in the order of ids, duplicates kept, missing ones skipped. */
export function childrenInOrder(request: SubsonicRequest, ids: readonly string[]): Payload[] {
  const byId = childrenById(request, ids);
  return ids.flatMap((id) => {
    const child = byId.get(id);
    return child ? [child] : [];
  });
}

/** Every value of a repeatable integer parameter; error 0 naming the bad one. */
export function intList(
  params: SubsonicParams,
  name: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number[] {
  return params.getAll(name).map((text) => {
    const value = /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new TonearmError('BAD_REQUEST', `parameter ${name} must be an integer from ${min} to ${max}`);
    }
    return value;
  });
}

/** A non-negative millisecond value (positions, times), which may exceed int32. */
export function msParam(params: SubsonicParams, name: string): number | undefined {
  const values = intList(params, name).slice(0, 1);
  return values[0];
}

/** Non-empty values of a repeatable id parameter. */
export function ids(params: SubsonicParams, name: string): string[] {
  return params.getAll(name).filter((id) => id !== '');
}

/** A text parameter that may be empty (comment="" clears); undefined when absent. */
export function text(params: SubsonicParams, name: string): string | undefined {
  return params.has(name) ? (params.get(name) ?? '') : undefined;
}
