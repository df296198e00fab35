// The shared chat of all users of this server (Subsonic's chat).
import type { User } from '../accounts/users.service.ts';
import type { Database } from '../db/database.ts';
import { TonearmError } from '../shared/errors.ts';
import { insertChatRow, listChatRows } from './chat.repository.ts';

export const CHAT_MESSAGE_MAX = 2000;
/** The newest this many; a chat read by clients as one list does not need its whole history at once. */
export const CHAT_LIST_LIMIT = 1000;

export interface ChatMessage {
  username: string;
  time: number;
  message: string;
}

export function addChatMessage(db: Database, user: User, message: string, now = Date.now()): void {
  if (message.trim() === '')
    throw new TonearmError('MISSING_PARAMETER', 'required parameter is missing: message');
  if (message.length > CHAT_MESSAGE_MAX) {
    throw new TonearmError('BAD_REQUEST', `a chat message must be at most ${CHAT_MESSAGE_MAX} characters`);
  }
  insertChatRow(db, user.id, message, now);
}

/** Messages newer than `since` (ms), newest first. */
export function getChatMessages(db: Database, since = 0): ChatMessage[] {
  return listChatRows(db, since, CHAT_LIST_LIMIT).map((row) => ({
    username: row.username,
    time: row.created_at,
    message: row.message,
  }));
}
