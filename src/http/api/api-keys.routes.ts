// API keys (accounts/api-keys.ts): everyone manages their own (/me/api-keys), administrators see and
// revoke everybody's (/admin/api-keys). A key is answered once, when made; lists show its prefix. Every
// request looks its key up, so a revoked key stops working at once on both APIs.
import { z } from 'zod';
import {
  API_KEY_NAME_MAX_LENGTH,
  type ApiKeyInfo,
  createApiKey,
  listApiKeysPage,
  revokeApiKey,
} from '../../accounts/api-keys.ts';
import type { User } from '../../accounts/users.service.ts';
import { decodeCursor, encodeCursor } from '../../shared/cursor.ts';
import { TonearmError } from '../../shared/errors.ts';
import type { AppContext } from '../context.ts';
import type { Services } from '../services.ts';
import { auditRequest } from './audit-request.ts';
import { type AnyRoute, route } from './route.ts';
import { idParams, isoOrNull, isoTime, page, pageQuery } from './schemas.ts';

const apiKeySchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    username: z.string(),
    name: z.string(),
    prefix: z.string().describe('The first characters of the key, to tell keys apart.'),
    createdAt: isoTime,
    lastUsedAt: isoTime.nullable().describe('Noted at most once a minute.'),
  })
  .meta({ id: 'ApiKey' });

const createdApiKeySchema = apiKeySchema
  .extend({
    key: z
      .string()
      .describe('The key itself, shown this once and never again: send it as Authorization: Bearer <key>.'),
  })
  .meta({ id: 'CreatedApiKey' });

function keyJson(key: ApiKeyInfo): z.input<typeof apiKeySchema> {
  return {
    id: key.id,
    userId: key.userId,
    username: key.username,
    name: key.name,
    prefix: key.prefix,
    createdAt: new Date(key.createdAt).toISOString(),
    lastUsedAt: isoOrNull(key.lastUsedAt),
  };
}

function keyPage(services: Services, query: { limit: number; cursor?: string | undefined }, userId?: string) {
  let after: { createdAt: number; id: string } | undefined;
  if (query.cursor !== undefined) {
    const [createdAt, id] = decodeCursor(query.cursor, 2);
    if (typeof createdAt !== 'number' || typeof id !== 'string')
      throw new TonearmError(
        'INVALID_INPUT',
        'cursor is not valid: pass the nextCursor of the previous page',
      );
    after = { createdAt, id };
  }
  const { keys, more } = listApiKeysPage(services.db, { userId, after, limit: query.limit });
  const last = keys.at(-1);
  return {
    items: keys.map(keyJson),
    nextCursor: more && last ? encodeCursor([last.createdAt, last.id]) : null,
  };
}

function revoke(ctx: AppContext, services: Services, caller: User, id: string, ownerId?: string): void {
  const key = revokeApiKey(services.db, id, ownerId);
  auditRequest(
    ctx,
    services.db,
    caller,
    'api-key.revoked',
    { id: key.userId, username: key.username },
    { detail: { keyId: key.id, name: key.name, prefix: key.prefix } },
  );
  ctx.state.log.info({ user: key.username, keyId: key.id }, 'api key revoked');
}

export const apiKeyRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/me/api-keys',
    tag: 'API keys',
    summary: 'Your API keys, oldest first',
    access: 'user',
    query: z.object(pageQuery),
    response: page(apiKeySchema),
    handle: ({ services, user, query }) => keyPage(services, query, user.id),
  }),
  route({
    method: 'post',
    path: '/me/api-keys',
    tag: 'API keys',
    summary: 'Make an API key (answered once)',
    description: 'For Subsonic clients (apiKey=…) and scripts (Authorization: Bearer …).',
    access: 'user',
    body: z.strictObject({
      name: z.string().max(API_KEY_NAME_MAX_LENGTH).default('').describe('What the key is for: "phone".'),
    }),
    response: createdApiKeySchema,
    status: 201,
    handle: ({ ctx, services, user, body }) => {
      const created = createApiKey(services.db, user.username, body.name);
      auditRequest(ctx, services.db, user, 'api-key.created', user, {
        detail: { keyId: created.id, name: created.name, prefix: created.prefix },
      });
      ctx.state.log.info({ user: user.username, keyId: created.id }, 'api key created');
      return { ...keyJson(created), key: created.key };
    },
  }),
  route({
    method: 'delete',
    path: '/me/api-keys/:id',
    tag: 'API keys',
    summary: 'Revoke one of your API keys (it stops working at once)',
    description: "Another user's key is 404, as a key that does not exist.",
    access: 'user',
    params: idParams,
    status: 204,
    errors: [404],
    handle: ({ ctx, services, user, params }) => revoke(ctx, services, user, params.id, user.id),
  }),
  route({
    method: 'get',
    path: '/admin/api-keys',
    tag: 'API keys',
    summary: "Everybody's API keys, oldest first",
    access: 'admin',
    query: z.object(pageQuery),
    response: page(apiKeySchema),
    handle: ({ services, query }) => keyPage(services, query),
  }),
  route({
    method: 'delete',
    path: '/admin/api-keys/:id',
    tag: 'API keys',
    summary: "Revoke anyone's API key",
    access: 'admin',
    params: idParams,
    status: 204,
    errors: [404],
    handle: ({ ctx, services, user, params }) => revoke(ctx, services, user, params.id),
  }),
];
