// Internet radio endpoints: everyone lists, admins change (the service checks).
import {
  createRadioStation,
  deleteRadioStation,
  listRadioStations,
  updateRadioStation,
} from '../../../activity/radio.service.ts';
import type { SubsonicEndpoint, SubsonicRequest } from '../endpoint.ts';
import { caller } from './activity-common.ts';

function input(request: SubsonicRequest) {
  const { params } = request;
  const homepageUrl = params.get('homepageUrl') || undefined;
  return {
    streamUrl: params.required('streamUrl'),
    name: params.required('name'),
    ...(homepageUrl !== undefined ? { homepageUrl } : {}),
  };
}

export const getInternetRadioStations: SubsonicEndpoint = {
  name: 'getInternetRadioStations',
  handle: (request) => ({
    // The parameter is homepageUrl, the field homePageUrl (as the spec has it).
    internetRadioStations: {
      internetRadioStation: listRadioStations(request.db).map((station) => ({ ...station })),
    },
  }),
};

export const createInternetRadioStation: SubsonicEndpoint = {
  name: 'createInternetRadioStation',
  handle: (request) => {
    const user = caller(request);
    createRadioStation(request.db, user, input(request));
  },
};

export const updateInternetRadioStation: SubsonicEndpoint = {
  name: 'updateInternetRadioStation',
  handle: (request) => {
    const user = caller(request);
    const id = request.params.required('id');
    updateRadioStation(request.db, user, id, input(request));
  },
};

export const deleteInternetRadioStation: SubsonicEndpoint = {
  name: 'deleteInternetRadioStation',
  handle: (request) => {
    deleteRadioStation(request.db, caller(request), request.params.required('id'));
  },
};

export const radioEndpoints: readonly SubsonicEndpoint[] = [
  getInternetRadioStations,
  createInternetRadioStation,
  updateInternetRadioStation,
  deleteInternetRadioStation,
];
