// Share endpoints. The public side (the page and the stream a visitor opens) is src/http/share.ts.
import {
  createShare as createShareFor,
  deleteShare as deleteShareFor,
  listShares,
  type Share,
  updateShare as updateShareFor,
} from '../../../activity/shares.service.ts';
import { publicUrlOf } from '../../public-url.ts';
import type { MainThreadRequest, SubsonicEndpoint } from '../endpoint.ts';
import { caller, childrenInOrder, ids, isoDate, msParam, type Payload, text } from './activity-common.ts';

/** The share's public page: http.publicUrl + basePath + /share/<id>, or see src/http/public-url.ts. */
export function shareUrl(request: MainThreadRequest, id: string): string {
  return publicUrlOf(
    request.ctx,
    request.config,
    `/share/${encodeURIComponent(id)}`,
    request.services.logger,
  );
}

function sharePayload(request: MainThreadRequest, share: Share): Payload {
  return {
    id: share.id,
    url: shareUrl(request, share.id),
    description: share.description,
    username: share.username,
    created: isoDate(share.createdAt),
    expires: isoDate(share.expiresAt),
    lastVisited: isoDate(share.lastVisitedAt),
    visitCount: share.visitCount,
    entry: childrenInOrder(request, share.trackIds),
  };
}

export const getShares: SubsonicEndpoint = {
  name: 'getShares',
  handle: (request) => ({
    shares: { share: listShares(request.db, caller(request)).map((share) => sharePayload(request, share)) },
  }),
};

export const createShare: SubsonicEndpoint = {
  name: 'createShare',
  handle: (request) => {
    const { params } = request;
    const description = text(params, 'description');
    const expiresAt = msParam(params, 'expires');
    const share = createShareFor(request.db, caller(request), {
      ids: ids(params, 'id'),
      ...(description !== undefined ? { description } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    });
    return { shares: { share: [sharePayload(request, share)] } };
  },
};

/** expires=0 makes a share never expire. */
export const updateShare: SubsonicEndpoint = {
  name: 'updateShare',
  handle: (request) => {
    const { params } = request;
    const id = params.required('id');
    const description = text(params, 'description');
    const expiresAt = msParam(params, 'expires');
    updateShareFor(request.db, caller(request), id, {
      ...(description !== undefined ? { description } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    });
  },
};

export const deleteShare: SubsonicEndpoint = {
  name: 'deleteShare',
  handle: (request) => {
    deleteShareFor(request.db, caller(request), request.params.required('id'));
  },
};

export const shareEndpoints: readonly SubsonicEndpoint[] = [getShares, createShare, updateShare, deleteShare];
