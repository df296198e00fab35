// Accounts: administrators manage users (/admin/users), everyone their own account (/me). Who may do what
// is decided in accounts/permissions.ts, the work is done by accounts/users.service.ts (the same functions
// the Subsonic user endpoints call), and every change is written to the audit log.
import { listeningWithdrawn } from '../../insights/jobs.ts';
import { z } from 'zod';
import { passwordChangedFor } from '../../accounts/first-admin.ts';
import {
  assertCanChangeOwnSettings,
  assertCanChangePassword,
  assertCanDeleteUser,
} from '../../accounts/permissions.ts';
import {
  changePassword,
  createUser,
  DEFAULT_ROLES,
  deleteUser,
  getUserByName,
  listUsersPage,
  MAX_BIT_RATES,
  PASSWORD_MAX_LENGTH,
  type RoleName,
  roleChanges,
  USERNAME_MAX_LENGTH,
  type User,
  type UserChanges,
  updateUser,
  verifyPassword,
} from '../../accounts/users.service.ts';
import { decodeCursor, encodeCursor } from '../../shared/cursor.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { AppContext } from '../context.ts';
import { checkPassword } from '../login-throttle.ts';
import type { Services } from '../services.ts';
import { auditRequest } from './audit-request.ts';
import { type AnyRoute, route } from './route.ts';
import { isoOrNull, isoTime, page, pageQuery } from './schemas.ts';

type GrantableRole = Exclude<RoleName, 'admin'>;
const GRANTABLE_ROLES = Object.keys(DEFAULT_ROLES) as GrantableRole[];

const ROLE_DESCRIPTIONS: Record<GrantableRole, string> = {
  settings: 'change their own settings and password',
  stream: 'play music (streams, HLS, transcodes)',
  jukebox: 'control the jukebox',
  download: 'download original files and archives',
  upload: 'upload files',
  playlist: 'create and change playlists',
  coverArt: 'change cover art',
  comment: 'rate and comment',
  podcast: 'manage podcasts',
  share: 'create public shares',
  videoConversion: 'convert videos',
};

function roleShape<T extends z.ZodType>(value: T) {
  return Object.fromEntries(
    GRANTABLE_ROLES.map((role) => [role, value.describe(ROLE_DESCRIPTIONS[role])]),
  ) as Record<GrantableRole, T>;
}

const rolesSchema = z
  .object(roleShape(z.boolean()))
  .meta({ id: 'UserRoles', description: 'What the user may do; administrators have every role.' });

export const userSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    admin: z.boolean(),
    email: z.string().describe("'' when none"),
    roles: rolesSchema,
    scrobblingEnabled: z.boolean(),
    maxBitRate: z.number().int().describe('Streaming cap in kbit/s; 0 = unlimited.'),
    libraryIds: z.array(z.number().int()).describe('The libraries (music folders) the user may see.'),
    createdAt: isoTime,
    updatedAt: isoTime,
    avatarChangedAt: isoTime.nullable(),
  })
  .meta({ id: 'User' });

export function userJson(user: User): z.input<typeof userSchema> {
  const { admin: _admin, ...roles } = user.roles;
  return {
    id: user.id,
    username: user.username,
    admin: user.isAdmin,
    email: user.email,
    roles,
    scrobblingEnabled: user.scrobblingEnabled,
    maxBitRate: user.maxBitRate,
    libraryIds: user.libraryIds,
    createdAt: new Date(user.createdAt).toISOString(),
    updatedAt: new Date(user.updatedAt).toISOString(),
    avatarChangedAt: isoOrNull(user.avatarChangedAt),
  };
}

const usernameParams = z.object({ username: z.string().min(1).max(USERNAME_MAX_LENGTH) });
const password = z.string().min(1).max(PASSWORD_MAX_LENGTH);
const maxBitRate = z
  .number()
  .int()
  .describe(`kbit/s, one of ${MAX_BIT_RATES.join(', ')} (0 = unlimited)`);

/** What an administrator may set on an account (a new one, or an existing one). */
const accountFields = {
  admin: z.boolean().optional(),
  email: z.string().max(254).optional(),
  roles: z
    .strictObject(roleShape(z.boolean().optional()))
    .optional()
    .describe('Only the roles given change.'),
  scrobblingEnabled: z.boolean().optional(),
  maxBitRate: maxBitRate.optional(),
  libraryIds: z
    .array(z.number().int())
    .optional()
    .describe('Replaces the list; a new user gets every library.'),
};

const newUserBody = z.strictObject({
  username: z.string().min(1).max(USERNAME_MAX_LENGTH).describe('Letters A-Z, digits and . _ - @'),
  password,
  ...accountFields,
});

const userChangesBody = z.strictObject(accountFields);

type AccountFields = z.output<typeof userChangesBody>;

function changesOf(body: AccountFields): UserChanges {
  // Absent fields stay undefined, which the service reads as "unchanged".
  const { admin, ...rest } = body;
  return { ...rest, isAdmin: admin };
}

/**
 * Changes an account and records what changed: user.updated names the fields (never their values),
 * roles.changed the roles granted and revoked (admin included).
 */
async function changeAccount(
  ctx: AppContext,
  services: Services,
  caller: User,
  username: string,
  body: AccountFields,
): Promise<User> {
  const { db } = services;
  const before = getUserByName(db, username);
  const after = await updateUser(db, before.username, changesOf(body));
  const fields = Object.keys(body).filter(
    (key) => key !== 'roles' && key !== 'admin' && body[key as keyof AccountFields] !== undefined,
  );
  if (fields.length > 0) auditRequest(ctx, db, caller, 'user.updated', after, { detail: { fields } });
  const roles = roleChanges(before, after);
  if (roles.granted.length > 0 || roles.revoked.length > 0)
    auditRequest(ctx, db, caller, 'roles.changed', after, { detail: roles });
  return after;
}

/** Sets a password and records it; the accounts domain ends the user's sessions (changePassword). */
async function setPassword(
  ctx: AppContext,
  services: Services,
  caller: User,
  subject: User,
  newPassword: string,
) {
  await changePassword(services.db, subject.username, newPassword);
  passwordChangedFor(services.db, subject.username);
  auditRequest(ctx, services.db, caller, 'password.changed', subject);
  ctx.state.log.info({ user: subject.username }, 'password changed');
}

export const userRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/admin/users',
    tag: 'Users',
    summary: 'Every account, by name',
    access: 'admin',
    query: z.object(pageQuery),
    response: page(userSchema),
    handle: ({ services, query }) => {
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, 1)[0];
      if (after !== undefined && typeof after !== 'string')
        throw new TonearmError(
          'INVALID_INPUT',
          'cursor is not valid: pass the nextCursor of the previous page',
        );
      const { users, more } = listUsersPage(services.db, { limit: query.limit, ...(after ? { after } : {}) });
      return {
        items: users.map(userJson),
        nextCursor: more ? encodeCursor([users.at(-1)!.username]) : null,
      };
    },
  }),
  route({
    method: 'post',
    path: '/admin/users',
    tag: 'Users',
    summary: 'Create an account',
    description:
      'Roles not given take the defaults (settings, stream, download, playlist, comment, share on).',
    access: 'admin',
    body: newUserBody,
    response: userSchema,
    status: 201,
    errors: [404, 409],
    handle: async ({ ctx, services, user: caller, body }) => {
      const { username, password: newPassword, ...fields } = body;
      const created = await createUser(services.db, {
        ...changesOf(fields),
        username,
        password: newPassword,
      });
      auditRequest(ctx, services.db, caller, 'user.created', created, { detail: { admin: created.isAdmin } });
      ctx.state.log.info({ user: created.username }, 'user created');
      return userJson(created);
    },
  }),
  route({
    method: 'get',
    path: '/admin/users/:username',
    tag: 'Users',
    summary: 'One account',
    access: 'admin',
    params: usernameParams,
    response: userSchema,
    errors: [404],
    handle: ({ services, params }) => userJson(getUserByName(services.db, params.username)),
  }),
  route({
    method: 'patch',
    path: '/admin/users/:username',
    tag: 'Users',
    summary: 'Change an account: admin, roles, email, maxBitRate, scrobbling, library access',
    description: 'Only the fields given change. The last administrator cannot lose the admin role (409).',
    access: 'admin',
    params: usernameParams,
    body: userChangesBody,
    response: userSchema,
    errors: [404, 409],
    handle: async ({ ctx, services, user, params, body }) =>
      userJson(await changeAccount(ctx, services, user, params.username, body)),
  }),
  route({
    method: 'put',
    path: '/admin/users/:username/password',
    tag: 'Users',
    summary: "Set an account's password",
    description: "Ends the user's sessions.",
    access: 'admin',
    params: usernameParams,
    body: z.strictObject({ password }),
    status: 204,
    errors: [404],
    handle: async ({ ctx, services, user, params, body }) => {
      assertCanChangePassword(user, params.username);
      await setPassword(ctx, services, user, getUserByName(services.db, params.username), body.password);
    },
  }),
  route({
    method: 'delete',
    path: '/admin/users/:username',
    tag: 'Users',
    summary: 'Delete an account with its keys, sessions, playlists and listening history',
    description: 'Not your own account (400), never the last administrator (409).',
    access: 'admin',
    params: usernameParams,
    status: 204,
    errors: [404, 409],
    handle: ({ ctx, services, user, params }) => {
      assertCanDeleteUser(user, params.username);
      const subject = getUserByName(services.db, params.username);
      deleteUser(services.db, subject.username);
      // Their listening goes with them, from the recommendation models too.
      listeningWithdrawn(services.jobs);
      auditRequest(ctx, services.db, user, 'user.deleted', subject);
      ctx.state.log.info({ user: subject.username }, 'user deleted');
    },
  }),

  route({
    method: 'patch',
    path: '/me',
    tag: 'Account',
    summary: 'Change your own settings: email, scrobbling',
    description: 'Needs the settings role.',
    access: 'user',
    body: z.strictObject({
      email: accountFields.email,
      scrobblingEnabled: accountFields.scrobblingEnabled,
    }),
    response: userSchema,
    handle: async ({ ctx, services, user, body }) => {
      assertCanChangeOwnSettings(user);
      return userJson(await changeAccount(ctx, services, user, user.username, body));
    },
  }),
  route({
    method: 'put',
    path: '/me/password',
    tag: 'Account',
    summary: 'Change your own password',
    description:
      'Needs the settings role and the current password; a wrong one is 403 and counts as a failed login ' +
      '(429 + Retry-After when too many). Ends your sessions.',
    access: 'user',
    body: z.strictObject({ currentPassword: password, newPassword: password }),
    status: 204,
    handle: async ({ ctx, services, user, throttle, body }) => {
      assertCanChangePassword(user, user.username);
      const confirmed = await checkPassword(throttle, ctx.ip, user.username, async () => {
        const checked = await verifyPassword(services.db, user.username, body.currentPassword);
        return checked?.id === user.id ? checked : undefined;
      });
      if (!confirmed) {
        auditRequest(ctx, services.db, user, 'password.changed', user, {
          outcome: 'failure',
          detail: { reason: 'wrong current password' },
        });
        ctx.state.log.warn(
          { ip: ctx.ip, user: user.username },
          'password change refused: wrong current password',
        );
        throw new TonearmError('FORBIDDEN', 'the current password is wrong');
      }
      await setPassword(ctx, services, user, user, body.newPassword);
    },
  }),
];
