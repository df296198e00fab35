// Shares in the native API, over the same domain functions as Subsonic's share endpoints
// (activity/shares.service.ts). A share is a public link: anyone with its URL may play it until it
// expires, so its id is no secret to hide. Managing one is its owner's: someone else's share is 403
// (admins may delete any), an unknown id 404. Making one needs the share role.
import { z } from 'zod';
import {
  createShare,
  deleteShare,
  getShare,
  listShares,
  SHARE_DESCRIPTION_MAX,
  SHARE_MAX_TRACKS,
  type Share,
  updateShare,
} from '../../activity/shares.service.ts';
import type { User } from '../../accounts/users.service.ts';
import type { AppContext } from '../context.ts';
import { publicUrlOf } from '../public-url.ts';
import type { Services } from '../services.ts';
import {
  activityTrackSchema,
  itemId,
  MAX_IDS_PER_REQUEST,
  pageOfList,
  tracksInOrder,
} from './activity-schemas.ts';
import { type AnyRoute, route } from './route.ts';
import { idParams, isoOrNull, isoTime, page, pageQuery } from './schemas.ts';

const TAG = 'Shares';

const shareSchema = z
  .object({
    id: z.string(),
    url: z.string().describe('The public page: http.publicUrl + basePath + /share/{id} (docs/api.md).'),
    description: z.string(),
    username: z.string(),
    createdAt: isoTime,
    expiresAt: isoTime.nullable().describe('null: never expires.'),
    lastVisitedAt: isoTime.nullable(),
    visitCount: z.number().int(),
    tracks: z.array(activityTrackSchema).describe('The shared tracks present now, in order.'),
  })
  .meta({ id: 'Share' });

const description = z.string().max(SHARE_DESCRIPTION_MAX);
const expiresAt = z.iso
  .datetime({ offset: true })
  .nullable()
  .describe('When the link stops working (ISO 8601); null: never.');

function expiryMs(value: string | null | undefined): number | undefined {
  if (value === undefined) return undefined;
  // The domain's "never" is 0.
  return value === null ? 0 : Date.parse(value);
}

function shareJson(
  ctx: AppContext,
  services: Services,
  user: User,
  share: Share,
): z.input<typeof shareSchema> {
  return {
    id: share.id,
    url: publicUrlOf(ctx, services.config, `/share/${encodeURIComponent(share.id)}`, services.logger),
    description: share.description,
    username: share.username,
    createdAt: isoOrNull(share.createdAt)!,
    expiresAt: isoOrNull(share.expiresAt),
    lastVisitedAt: isoOrNull(share.lastVisitedAt),
    visitCount: share.visitCount,
    tracks: tracksInOrder(services, user, share.trackIds),
  };
}

export const shareRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/shares',
    tag: TAG,
    summary: "The caller's shares",
    description: 'Newest first. Admins too see only their own: a share list is personal.',
    access: 'user',
    query: z.object(pageQuery),
    response: page(shareSchema),
    handle({ ctx, services, user, query }) {
      const shares = pageOfList(
        listShares(services.db, user),
        (share) => [-share.createdAt, share.id],
        ['number', 'string'],
        query,
      );
      return {
        items: shares.items.map((share) => shareJson(ctx, services, user, share)),
        nextCursor: shares.nextCursor,
      };
    },
  }),
  route({
    method: 'post',
    path: '/shares',
    tag: TAG,
    summary: 'Share tracks, albums or playlists as a public link',
    description: `Albums and playlists are expanded to their tracks now; at most ${SHARE_MAX_TRACKS} tracks.`,
    access: 'user',
    status: 201,
    body: z.strictObject({
      ids: z
        .array(itemId)
        .min(1)
        .max(MAX_IDS_PER_REQUEST)
        .describe('Track (tr-), album (al-) or playlist (pl-) ids.'),
      description: description.optional(),
      expiresAt: expiresAt.optional(),
    }),
    response: shareSchema,
    errors: [404],
    handle({ ctx, services, user, body }) {
      const expires = expiryMs(body.expiresAt);
      const share = createShare(services.db, user, {
        ids: body.ids,
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(expires ? { expiresAt: expires } : {}),
      });
      return shareJson(ctx, services, user, share);
    },
  }),
  route({
    method: 'get',
    path: '/shares/:id',
    tag: TAG,
    summary: 'One of the caller’s shares',
    access: 'user',
    params: idParams,
    response: shareSchema,
    errors: [404],
    handle({ ctx, services, user, params }) {
      return shareJson(ctx, services, user, getShare(services.db, user, params.id));
    },
  }),
  route({
    method: 'patch',
    path: '/shares/:id',
    tag: TAG,
    summary: "Change a share's description or expiry",
    description: 'An expiresAt in the past ends the link now; null makes it last for ever.',
    access: 'user',
    params: idParams,
    body: z.strictObject({ description: description.optional(), expiresAt: expiresAt.optional() }),
    response: shareSchema,
    errors: [404],
    handle({ ctx, services, user, params, body }) {
      const expires = expiryMs(body.expiresAt);
      updateShare(services.db, user, params.id, {
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(expires !== undefined ? { expiresAt: expires } : {}),
      });
      return shareJson(ctx, services, user, getShare(services.db, user, params.id));
    },
  }),
  route({
    method: 'delete',
    path: '/shares/:id',
    tag: TAG,
    summary: 'Delete a share (its owner, or an admin)',
    access: 'user',
    params: idParams,
    status: 204,
    errors: [404],
    handle({ services, user, params }) {
      deleteShare(services.db, user, params.id);
    },
  }),
];
