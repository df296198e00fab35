// Chat messages, with their author's name.
import type { Database } from '../db/database.ts';

export interface ChatMessageRow {
  username: string;
  message: string;
  created_at: number;
}

export function insertChatRow(db: Database, userId: string, message: string, at: number): void {
  db.run(db.kysely.insertInto('chat_message').values({ user_id: userId, message, created_at: at }));
}

/** Messages newer than `since`, newest first. */
export function listChatRows(db: Database, since: number, limit: number): ChatMessageRow[] {
  return db.all(
    db.kysely
      .selectFrom('chat_message')
      .innerJoin('user', 'user.id', 'chat_message.user_id')
      .select(['user.username', 'chat_message.message', 'chat_message.created_at'])
      .where('chat_message.created_at', '>', since)
      .orderBy('chat_message.created_at', 'desc')
      .orderBy('chat_message.id', 'desc')
      .limit(limit),
  );
}
