// Internet radio stations in the native API, over the same domain functions as Subsonic's radio
// endpoints (activity/radio.service.ts): every user lists them, admins change them. Only http(s) URLs.
import { z } from 'zod';
import {
  changeRadioStation,
  createRadioStation,
  deleteRadioStation,
  getRadioStation,
  listRadioStations,
  RADIO_NAME_MAX,
  RADIO_URL_MAX,
  type RadioStation,
} from '../../activity/radio.service.ts';
import { pageOfList } from './activity-schemas.ts';
import { type AnyRoute, route } from './route.ts';
import { idParams, page, pageQuery } from './schemas.ts';

const TAG = 'Internet radio';

const radioStationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    streamUrl: z.string(),
    homepageUrl: z.string().nullable(),
  })
  .meta({ id: 'RadioStation' });

const name = z.string().trim().min(1).max(RADIO_NAME_MAX);
const url = z.string().max(RADIO_URL_MAX).describe('An http or https URL.');

function stationJson(station: RadioStation): z.input<typeof radioStationSchema> {
  return {
    id: station.id,
    name: station.name,
    streamUrl: station.streamUrl,
    homepageUrl: station.homePageUrl ?? null,
  };
}

export const radioRoutes: readonly AnyRoute[] = [
  route({
    method: 'get',
    path: '/radio-stations',
    tag: TAG,
    summary: 'Internet radio stations',
    description: 'By name (case-insensitive), then id.',
    access: 'user',
    query: z.object(pageQuery),
    response: page(radioStationSchema),
    handle({ services, query }) {
      const stations = pageOfList(
        listRadioStations(services.db),
        (station) => [station.name.toLowerCase(), station.id],
        ['string', 'string'],
        query,
      );
      return { items: stations.items.map(stationJson), nextCursor: stations.nextCursor };
    },
  }),
  route({
    method: 'post',
    path: '/radio-stations',
    tag: TAG,
    summary: 'Add an internet radio station',
    access: 'admin',
    status: 201,
    body: z.strictObject({ name, streamUrl: url, homepageUrl: url.optional() }),
    response: radioStationSchema,
    handle({ services, user, body }) {
      const id = createRadioStation(services.db, user, {
        name: body.name,
        streamUrl: body.streamUrl,
        ...(body.homepageUrl ? { homepageUrl: body.homepageUrl } : {}),
      });
      return stationJson(getRadioStation(services.db, id));
    },
  }),
  route({
    method: 'patch',
    path: '/radio-stations/:id',
    tag: TAG,
    summary: 'Change an internet radio station',
    description: 'Only the fields given change; homepageUrl null removes it.',
    access: 'admin',
    params: idParams,
    body: z.strictObject({
      name: name.optional(),
      streamUrl: url.optional(),
      homepageUrl: url.nullable().optional(),
    }),
    response: radioStationSchema,
    errors: [404],
    handle({ services, user, params, body }) {
      return stationJson(changeRadioStation(services.db, user, params.id, body));
    },
  }),
  route({
    method: 'delete',
    path: '/radio-stations/:id',
    tag: TAG,
    summary: 'Remove an internet radio station',
    access: 'admin',
    params: idParams,
    status: 204,
    errors: [404],
    handle({ services, user, params }) {
      deleteRadioStation(services.db, user, params.id);
    },
  }),
];
