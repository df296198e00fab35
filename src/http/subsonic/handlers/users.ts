// User management (Subsonic 1.14 §): getUser, getUsers, createUser, updateUser, deleteUser,
// changePassword. Parameters are parsed here; who may do what is decided in accounts/permissions.ts and
// the work is done by accounts/users.service.ts.
import { FIRST_ADMIN_NAME, forgetFirstAdminPassword } from '../../../accounts/first-admin.ts';
import {
  assertCanChangePassword,
  assertCanDeleteUser,
  assertCanManageUsers,
  assertCanViewUser,
} from '../../../accounts/permissions.ts';
import { dataDirOf } from '../../../accounts/secret-key.ts';
import {
  changePassword,
  createUser,
  deleteUser,
  getUserByName,
  listUsers,
  type User,
  type UserRoles,
  updateUser,
} from '../../../accounts/users.service.ts';
import { TonearmError } from '../../../shared/errors.ts';
import { decodePassword } from '../auth.ts';
import type { SubsonicEndpoint } from '../endpoint.ts';
import type { SubsonicParams } from '../params.ts';

/** The Subsonic User type (§5.10); `folder` is the ids of the libraries the user may see. */
export function userPayload(user: User): Record<string, unknown> {
  return {
    username: user.username,
    email: user.email,
    scrobblingEnabled: user.scrobblingEnabled,
    maxBitRate: user.maxBitRate,
    adminRole: user.roles.admin,
    settingsRole: user.roles.settings,
    downloadRole: user.roles.download,
    uploadRole: user.roles.upload,
    playlistRole: user.roles.playlist,
    coverArtRole: user.roles.coverArt,
    commentRole: user.roles.comment,
    podcastRole: user.roles.podcast,
    streamRole: user.roles.stream,
    jukeboxRole: user.roles.jukebox,
    shareRole: user.roles.share,
    videoConversionRole: user.roles.videoConversion,
    avatarLastChanged: user.avatarChangedAt === null ? undefined : new Date(user.avatarChangedAt),
    folder: user.libraryIds,
  };
}

// Subsonic parameter name → role. adminRole is handled apart (it is isAdmin).
const ROLE_PARAMS: readonly [string, Exclude<keyof UserRoles, 'admin'>][] = [
  ['settingsRole', 'settings'],
  ['streamRole', 'stream'],
  ['jukeboxRole', 'jukebox'],
  ['downloadRole', 'download'],
  ['uploadRole', 'upload'],
  ['playlistRole', 'playlist'],
  ['coverArtRole', 'coverArt'],
  ['commentRole', 'comment'],
  ['podcastRole', 'podcast'],
  ['shareRole', 'share'],
  ['videoConversionRole', 'videoConversion'],
];

function roleParams(params: SubsonicParams): Partial<Omit<UserRoles, 'admin'>> {
  const roles: Partial<Omit<UserRoles, 'admin'>> = {};
  for (const [name, role] of ROLE_PARAMS) {
    const value = params.bool(name);
    if (value !== undefined) roles[role] = value;
  }
  return roles;
}

/** musicFolderId, repeated; undefined when absent. */
function libraryIdsParam(params: SubsonicParams): number[] | undefined {
  const values = params.getAll('musicFolderId').filter((value) => value !== '');
  if (values.length === 0) return undefined;
  return values.map((value) => {
    const id = /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    if (!Number.isSafeInteger(id))
      throw new TonearmError('BAD_REQUEST', 'parameter musicFolderId must be a music folder id');
    return id;
  });
}

function passwordParam(params: SubsonicParams, required: boolean): string | undefined {
  const raw = required ? params.required('password') : params.get('password');
  if (raw === undefined || raw === '') return undefined;
  const password = decodePassword(raw);
  if (password === undefined)
    throw new TonearmError('BAD_REQUEST', 'parameter password: enc: must be followed by hexadecimal');
  return password;
}

function maxBitRateParam(params: SubsonicParams): number | undefined {
  return params.int('maxBitRate', { min: 0, max: 100_000 });
}

/** The initial-password file is wrong once that password changes. */
function afterPasswordChange(dataDir: string, username: string): void {
  if (username.toLowerCase() === FIRST_ADMIN_NAME) forgetFirstAdminPassword(dataDir);
}

export const getUser: SubsonicEndpoint = {
  name: 'getUser',
  handle: ({ params, user, db }) => {
    // Without a name, the caller: the spec wants one, but client libraries make it optional, as
    // Navidrome does.
    const username = params.get('username') || user!.username;
    assertCanViewUser(user!, username);
    return { user: userPayload(getUserByName(db, username)) };
  },
};

export const getUsers: SubsonicEndpoint = {
  name: 'getUsers',
  handle: ({ user, db }) => {
    assertCanManageUsers(user!);
    return { users: { user: listUsers(db).map(userPayload) } };
  },
};

export const createUserEndpoint: SubsonicEndpoint = {
  name: 'createUser',
  handle: async ({ params, user, db }) => {
    assertCanManageUsers(user!);
    const username = params.required('username');
    const password = passwordParam(params, true)!;
    const email = params.required('email');
    if (params.bool('ldapAuthenticated') === true)
      throw new TonearmError('BAD_REQUEST', 'LDAP accounts are not supported');
    const libraryIds = libraryIdsParam(params);
    const maxBitRate = maxBitRateParam(params);
    const scrobblingEnabled = params.bool('scrobblingEnabled');
    await createUser(db, {
      username,
      password,
      email,
      isAdmin: params.bool('adminRole') === true,
      roles: roleParams(params),
      ...(scrobblingEnabled !== undefined ? { scrobblingEnabled } : {}),
      ...(maxBitRate !== undefined ? { maxBitRate } : {}),
      ...(libraryIds ? { libraryIds } : {}),
    });
    return undefined;
  },
};

export const updateUserEndpoint: SubsonicEndpoint = {
  name: 'updateUser',
  handle: async ({ params, user, db }) => {
    assertCanManageUsers(user!);
    const username = params.required('username');
    const password = passwordParam(params, false);
    const email = params.get('email');
    const isAdmin = params.bool('adminRole');
    const scrobblingEnabled = params.bool('scrobblingEnabled');
    const maxBitRate = maxBitRateParam(params);
    const libraryIds = libraryIdsParam(params);
    await updateUser(db, username, {
      roles: roleParams(params),
      ...(password !== undefined ? { password } : {}),
      ...(email !== undefined ? { email } : {}),
      ...(isAdmin !== undefined ? { isAdmin } : {}),
      ...(scrobblingEnabled !== undefined ? { scrobblingEnabled } : {}),
      ...(maxBitRate !== undefined ? { maxBitRate } : {}),
      ...(libraryIds ? { libraryIds } : {}),
    });
    if (password !== undefined) afterPasswordChange(dataDirOf(db), username);
    return undefined;
  },
};

export const deleteUserEndpoint: SubsonicEndpoint = {
  name: 'deleteUser',
  handle: ({ params, user, db }) => {
    const username = params.required('username');
    assertCanDeleteUser(user!, username);
    deleteUser(db, username);
    return undefined;
  },
};

export const changePasswordEndpoint: SubsonicEndpoint = {
  name: 'changePassword',
  handle: async ({ params, user, db }) => {
    const username = params.required('username');
    const password = passwordParam(params, true)!;
    assertCanChangePassword(user!, username);
    await changePassword(db, username, password);
    afterPasswordChange(dataDirOf(db), username);
    return undefined;
  },
};

export const userEndpoints: readonly SubsonicEndpoint[] = [
  getUser,
  getUsers,
  createUserEndpoint,
  updateUserEndpoint,
  deleteUserEndpoint,
  changePasswordEndpoint,
];
