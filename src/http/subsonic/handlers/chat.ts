// Chat endpoints (messages kept in the database).
import {
  addChatMessage as addChatMessageFor,
  getChatMessages as getChatMessagesFrom,
} from '../../../activity/chat.service.ts';
import type { SubsonicEndpoint } from '../endpoint.ts';
import { caller, msParam } from './activity-common.ts';

export const getChatMessages: SubsonicEndpoint = {
  name: 'getChatMessages',
  handle: (request) => ({
    chatMessages: { chatMessage: getChatMessagesFrom(request.db, msParam(request.params, 'since') ?? 0) },
  }),
};

export const addChatMessage: SubsonicEndpoint = {
  name: 'addChatMessage',
  handle: (request) => {
    addChatMessageFor(request.db, caller(request), request.params.required('message'));
  },
};

export const chatEndpoints: readonly SubsonicEndpoint[] = [getChatMessages, addChatMessage];
