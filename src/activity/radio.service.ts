// Internet radio: everyone lists, admins change. Only http(s) URLs are stored: a client opens them.
import type { User } from '../accounts/users.service.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { notFound } from './annotation.service.ts';
import { newId } from './ids.ts';
import {
  deleteRadioRow,
  findRadioRow,
  insertRadioRow,
  listRadioRows,
  type RadioStationRow,
  updateRadioRow,
} from './radio.repository.ts';

export const RADIO_NAME_MAX = 500;
export const RADIO_URL_MAX = 2000;

export interface RadioStation {
  id: string;
  name: string;
  streamUrl: string;
  homePageUrl: string | undefined;
}

export interface RadioInput {
  name: string;
  streamUrl: string;
  homepageUrl?: string;
}

function assertAdmin(user: User): void {
  if (!user.isAdmin) throw new TonearmError('FORBIDDEN', 'only admins may change internet radio stations');
}

function httpUrl(value: string, what: string): string {
  let url: URL | undefined;
  try {
    url = value.length <= RADIO_URL_MAX ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new TonearmError('BAD_REQUEST', `${what} must be an http or https URL`);
  }
  return value;
}

function validated(input: RadioInput): { name: string; stream_url: string; homepage_url: string | null } {
  const name = input.name.trim();
  if (!name) throw new TonearmError('MISSING_PARAMETER', 'required parameter is missing: name');
  if (name.length > RADIO_NAME_MAX) {
    throw new TonearmError('BAD_REQUEST', `name must be at most ${RADIO_NAME_MAX} characters`);
  }
  return {
    name,
    stream_url: httpUrl(input.streamUrl, 'streamUrl'),
    homepage_url: input.homepageUrl ? httpUrl(input.homepageUrl, 'homepageUrl') : null,
  };
}

function toStation(row: RadioStationRow): RadioStation {
  return {
    id: row.id,
    name: row.name,
    streamUrl: row.stream_url,
    homePageUrl: row.homepage_url ?? undefined,
  };
}

export function listRadioStations(db: Database): RadioStation[] {
  return listRadioRows(db).map(toStation);
}

export function getRadioStation(db: Database, id: string): RadioStation {
  const row = findRadioRow(db, id);
  if (!row) throw notFound('internet radio station', id);
  return toStation(row);
}

export function createRadioStation(db: Database, user: User, input: RadioInput, now = Date.now()): string {
  assertAdmin(user);
  const id = newId('rs-');
  insertRadioRow(db, { id, ...validated(input), created_at: now, updated_at: now });
  return id;
}

export function updateRadioStation(
  db: Database,
  user: User,
  id: string,
  input: RadioInput,
  now = Date.now(),
): void {
  assertAdmin(user);
  if (updateRadioRow(db, id, { ...validated(input), updated_at: now }) === 0) {
    throw notFound('internet radio station', id);
  }
}

export function deleteRadioStation(db: Database, user: User, id: string): void {
  assertAdmin(user);
  if (deleteRadioRow(db, id) === 0) throw notFound('internet radio station', id);
}

/** Changes only the fields given; homepageUrl null removes the home page. */
export function changeRadioStation(
  db: Database,
  user: User,
  id: string,
  changes: { name?: string; streamUrl?: string; homepageUrl?: string | null },
  now = Date.now(),
): RadioStation {
  assertAdmin(user);
  return db.transaction(() => {
    const current = getRadioStation(db, id);
    const homepageUrl =
      changes.homepageUrl === undefined ? current.homePageUrl : (changes.homepageUrl ?? undefined);
    updateRadioStation(
      db,
      user,
      id,
      {
        name: changes.name ?? current.name,
        streamUrl: changes.streamUrl ?? current.streamUrl,
        ...(homepageUrl !== undefined ? { homepageUrl } : {}),
      },
      now,
    );
    return getRadioStation(db, id);
  });
}
