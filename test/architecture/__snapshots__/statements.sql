-- Every distinct SQL statement the server prepares in test/architecture/sql-statements.test.ts (a scan,
-- a no-op rescan and a fixed workload of Subsonic reads and writes), grouped by the file that prepares it.
-- Generated: UPDATE_SQL_SNAPSHOT=1 node --test test/architecture/sql-statements.test.ts

-- src/accounts/settings.repository.ts
select "value" from "setting" where "key" = ?;

-- src/accounts/users.repository.ts
delete from "user_library" where "user_id" = ?;
insert into "user" ("id", "username", "password_hash", "password_enc", "is_admin", "email", "settings_role", "stream_role", "jukebox_role", "download_role", "upload_role", "playlist_role", "cover_art_role", "comment_role", "podcast_role", "share_role", "video_conversion_role", "scrobbling_enabled", "max_bit_rate", "created_at", "updated_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
select "id" from "library" order by "id";
select "library_id" from "user_library" where "user_id" = ? order by "library_id";
select "user_id", "library_id" from "user_library" order by "library_id";
select * from "user" order by "username";
select * from "user" where "username" = ?;
update "user" set "first_login_at" = ? where "id" = ? and "first_login_at" is null;

-- src/activity/annotation.repository.ts
INSERT INTO annotation (user_id, item_id, play_count, last_played_at) VALUES (?, ?, 1, ?) ON CONFLICT (user_id, item_id) DO UPDATE SET play_count = play_count + 1, last_played_at = max(coalesce(last_played_at, 0), excluded.last_played_at);
insert into "annotation" ("user_id", "item_id", "rating", "starred_at", "last_played_at") values (?, ?, ?, ?, ?) on conflict ("user_id", "item_id") do update set "rating" = ?;
insert into "annotation" ("user_id", "item_id", "starred_at", "last_played_at", "rating") values (?, ?, ?, ?, ?) on conflict ("user_id", "item_id") do update set "starred_at" = ?;
insert into "play_event" ("user_id", "track_id", "played_at", "client", "source") values (?, ?, ?, ?, ?);
select "item_id", "play_count", "last_played_at", "starred_at", "rating" from "annotation" where "user_id" = ? and "item_id" in (?, …);

-- src/activity/bookmarks.repository.ts
delete from "bookmark" where "user_id" = ? and "track_id" = ?;
insert into "bookmark" ("user_id", "track_id", "position_ms", "comment", "created_at", "changed_at") values (?, ?, ?, ?, ?, ?) on conflict ("user_id", "track_id") do update set "position_ms" = ?, "comment" = ?, "changed_at" = ?;
select * from "bookmark" where "user_id" = ? order by "changed_at" desc;

-- src/activity/chat.repository.ts
insert into "chat_message" ("user_id", "message", "created_at") values (?, ?, ?);
select "user"."username", "chat_message"."message", "chat_message"."created_at" from "chat_message" inner join "user" on "user"."id" = "chat_message"."user_id" where "chat_message"."created_at" > ? order by "chat_message"."created_at" desc, "chat_message"."id" desc limit ?;

-- src/activity/play-queue.repository.ts
insert into "play_queue" ("user_id", "track_ids", "current_index", "position_ms", "changed_at", "changed_by") values (?, ?, ?, ?, ?, ?) on conflict ("user_id") do update set "track_ids" = ?, "current_index" = ?, "position_ms" = ?, "changed_at" = ?, "changed_by" = ?;
select * from "play_queue" where "user_id" = ?;

-- src/activity/playlists.repository.ts
INSERT INTO playlist_track (playlist_id, position, track_id) VALUES (?, ?, ?);
SELECT p.*, u.username AS owner_name, (SELECT count(*) FROM playlist_track e JOIN track t ON t.id = e.track_id WHERE e.playlist_id = p.id AND t.library_id in (?, …)) AS song_count, (SELECT coalesce(sum(t.duration), 0) FROM playlist_track e JOIN track t ON t.id = e.track_id WHERE e.playlist_id = p.id AND t.library_id in (?, …)) AS duration, (SELECT t.album_id FROM playlist_track e JOIN track t ON t.id = e.track_id WHERE e.playlist_id = p.id AND t.library_id in (?, …) ORDER BY e.position LIMIT 1) AS first_album_id FROM playlist p JOIN user u ON u.id = p.owner_id WHERE (p.owner_id = ? OR p.public = 1) ORDER BY p.name COLLATE NOCASE, p.id;
SELECT p.*, u.username AS owner_name, (SELECT count(*) FROM playlist_track e JOIN track t ON t.id = e.track_id WHERE e.playlist_id = p.id AND t.library_id in (?, …)) AS song_count, (SELECT coalesce(sum(t.duration), 0) FROM playlist_track e JOIN track t ON t.id = e.track_id WHERE e.playlist_id = p.id AND t.library_id in (?, …)) AS duration, (SELECT t.album_id FROM playlist_track e JOIN track t ON t.id = e.track_id WHERE e.playlist_id = p.id AND t.library_id in (?, …) ORDER BY e.position LIMIT 1) AS first_album_id FROM playlist p JOIN user u ON u.id = p.owner_id WHERE p.id = ? ORDER BY p.name COLLATE NOCASE, p.id;
delete from "playlist" where "id" = ?;
delete from "playlist_track" where "playlist_id" = ?;
insert into "playlist" ("id", "owner_id", "name", "comment", "public", "created_at", "changed_at", "library_id", "source_path", "source_mtime") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
select "id" from "user" where "is_admin" = ? order by "created_at", "pk";
select "id", "source_path", "source_mtime" from "playlist" where "library_id" = ? and "source_path" is not null;
select "track_id" from "playlist_track" where "playlist_id" = ? order by "position";
update "playlist" set "name" = ?, "changed_at" = ? where "id" = ?;

-- src/activity/radio.repository.ts
insert into "radio_station" ("id", "name", "stream_url", "homepage_url", "created_at", "updated_at") values (?, ?, ?, ?, ?, ?);
select * from "radio_station" order by "name", "id";

-- src/activity/shares.repository.ts
INSERT INTO share_item (share_id, position, track_id) VALUES (?, ?, ?);
delete from "share" where "id" = ?;
insert into "share" ("id", "user_id", "description", "created_at", "expires_at") values (?, ?, ?, ?, ?);
select "share".*, "user"."username" from "share" inner join "user" on "user"."id" = "share"."user_id" where "share"."id" = ?;
select "share".*, "user"."username" from "share" inner join "user" on "user"."id" = "share"."user_id" where "share"."user_id" = ? order by "share"."created_at" desc;
select "track_id" from "share_item" where "share_id" = ? order by "position";

-- src/catalog/albums.repository.ts
SELECT aa.album_id, a.id, a.name FROM album_artist aa JOIN artist a ON a.id = aa.artist_id WHERE aa.album_id IN (SELECT value FROM json_each(?)) ORDER BY aa.album_id, aa.position;
SELECT ag.album_id, g.name FROM album_genre ag JOIN genre g ON g.id = ag.genre_id WHERE ag.album_id IN (SELECT value FROM json_each(?)) ORDER BY ag.album_id, ag.position;
SELECT al.id FROM album al WHERE 1 ORDER BY al.created_at DESC, al.id DESC LIMIT ? OFFSET ?;
SELECT al.id FROM album al WHERE 1 ORDER BY al.order_artist_name, al.order_name, al.id LIMIT ? OFFSET ?;
SELECT al.id FROM album al WHERE 1 ORDER BY al.order_name, al.id LIMIT ? OFFSET ?;
SELECT al.id FROM album al WHERE 1 ORDER BY al.pk LIMIT ? OFFSET ?;
SELECT al.id FROM album al WHERE 1 ORDER BY random() LIMIT ? OFFSET ?;
SELECT al.id FROM album al WHERE al.id IN (SELECT ag.album_id FROM album_genre ag JOIN genre g ON g.id = ag.genre_id WHERE g.name = ?) ORDER BY al.order_name, al.id LIMIT ? OFFSET ?;
SELECT al.id FROM album al WHERE al.id IN (SELECT value FROM json_each(?)) AND EXISTS (SELECT 1 FROM library_album la WHERE la.album_id = al.id AND la.library_id IN (SELECT value FROM json_each(?)));
SELECT al.id FROM album al WHERE al.year BETWEEN ? AND ? ORDER BY al.year, al.id LIMIT ? OFFSET ?;
SELECT al.id FROM annotation a JOIN album al ON al.id = a.item_id WHERE a.user_id = ? AND a.last_played_at IS NOT NULL ORDER BY a.last_played_at DESC, a.item_id DESC LIMIT ? OFFSET ?;
SELECT al.id FROM annotation a JOIN album al ON al.id = a.item_id WHERE a.user_id = ? AND a.play_count > 0 ORDER BY a.play_count DESC, a.item_id DESC LIMIT ? OFFSET ?;
SELECT al.id FROM annotation a JOIN album al ON al.id = a.item_id WHERE a.user_id = ? AND a.starred_at IS NOT NULL ORDER BY a.starred_at DESC, a.item_id DESC LIMIT ? OFFSET ?;
SELECT al.id, al.cover_library_id, al.cover_path, al.cover_track_id FROM album al WHERE al.id = ?;
SELECT al.id, al.name, al.sort_name, al.version, al.artist_id, al.artist_name, al.compilation, al.mbz_album_id, al.year, al.date, al.original_date, al.release_date, al.release_types, al.record_labels, al.genre, al.song_count, al.disc_count, al.duration, al.size, al.disc_titles, al.cover_path, al.cover_track_id, al.folder_id, al.created_at, al.updated_at FROM album al WHERE (al.artist_id = ? OR al.id IN (SELECT aa.album_id FROM album_artist aa WHERE aa.artist_id = ?)) ORDER BY al.year IS NULL, al.year, al.order_name, al.id;
SELECT al.id, al.name, al.sort_name, al.version, al.artist_id, al.artist_name, al.compilation, al.mbz_album_id, al.year, al.date, al.original_date, al.release_date, al.release_types, al.record_labels, al.genre, al.song_count, al.disc_count, al.duration, al.size, al.disc_titles, al.cover_path, al.cover_track_id, al.folder_id, al.created_at, al.updated_at FROM album al WHERE al.id IN (SELECT value FROM json_each(?));
SELECT count(*) FROM album al WHERE 1;
SELECT count(*) FROM album al WHERE al.id IN (SELECT ag.album_id FROM album_genre ag JOIN genre g ON g.id = ag.genre_id WHERE g.name = ?);
SELECT count(*) FROM album al WHERE al.year BETWEEN ? AND ?;
SELECT count(*) FROM annotation a JOIN album al ON al.id = a.item_id WHERE a.user_id = ? AND a.last_played_at IS NOT NULL;
SELECT count(*) FROM annotation a JOIN album al ON al.id = a.item_id WHERE a.user_id = ? AND a.play_count > 0;
SELECT count(*) FROM annotation a JOIN album al ON al.id = a.item_id WHERE a.user_id = ? AND a.starred_at IS NOT NULL;

-- src/catalog/annotations.repository.ts
SELECT item_id FROM annotation WHERE user_id = ? AND starred_at IS NOT NULL AND item_id >= ? AND item_id < ? ORDER BY starred_at DESC, item_id DESC;
SELECT item_id, starred_at, rating, play_count, last_played_at FROM annotation WHERE user_id = ? AND item_id IN (SELECT value FROM json_each(?));

-- src/catalog/artists.repository.ts
SELECT 1 FROM artist WHERE id = ?;
SELECT ar.id FROM artist ar WHERE ar.album_count > 0 ORDER BY ar.pk LIMIT ? OFFSET ?;
SELECT ar.id FROM artist ar WHERE ar.id IN (SELECT value FROM json_each(?)) AND EXISTS (SELECT 1 FROM library_artist la WHERE la.artist_id = ar.id AND la.library_id IN (SELECT value FROM json_each(?)));
SELECT ar.id, ar.name, ar.sort_name, ar.order_name, ar.mbz_artist_id, ar.album_count, ar.song_count, ar.roles, ar.image_path FROM artist ar WHERE ar.album_count > 0 ORDER BY ar.order_name, ar.id;
SELECT ar.id, ar.name, ar.sort_name, ar.order_name, ar.mbz_artist_id, ar.album_count, ar.song_count, ar.roles, ar.image_path FROM artist ar WHERE ar.id IN (SELECT value FROM json_each(?));
WITH mine AS ( SELECT DISTINCT ag.genre_id FROM album_artist aa JOIN album_genre ag ON ag.album_id = aa.album_id WHERE aa.artist_id = ? ) SELECT aa.artist_id FROM album_genre ag JOIN album_artist aa ON aa.album_id = ag.album_id WHERE ag.genre_id IN (SELECT genre_id FROM mine) AND aa.artist_id <> ? GROUP BY aa.artist_id ORDER BY count(DISTINCT ag.genre_id) DESC, aa.artist_id LIMIT ?;

-- src/catalog/folders.repository.ts
SELECT f.id FROM folder f WHERE f.parent_id IS NULL AND f.path = '' ORDER BY f.library_id;
SELECT f.id, f.library_id, f.parent_id, f.name, (SELECT t.album_id FROM track t WHERE t.library_id = f.library_id AND t.path >= f.path || '/' AND t.path < f.path || '0' LIMIT 1) AS album_id FROM folder f WHERE f.parent_id = ? AND EXISTS (SELECT 1 FROM track t WHERE t.library_id = f.library_id AND t.path >= f.path || '/' AND t.path < f.path || '0') ORDER BY f.name, f.id;
SELECT f.id, f.library_id, f.parent_id, f.name, (SELECT t.album_id FROM track t WHERE t.library_id = f.library_id AND t.path >= f.path || '/' AND t.path < f.path || '0' LIMIT 1) AS album_id FROM folder f WHERE f.parent_id IN (SELECT value FROM json_each(?)) AND EXISTS (SELECT 1 FROM track t WHERE t.library_id = f.library_id AND t.path >= f.path || '/' AND t.path < f.path || '0');
SELECT f.id, f.library_id, f.parent_id, f.name, f.path, (SELECT t.album_id FROM track t WHERE t.library_id = f.library_id AND t.path >= f.path || '/' AND t.path < f.path || '0' LIMIT 1) AS album_id FROM folder f WHERE f.id = ?;

-- src/catalog/genres.repository.ts
SELECT name, song_count AS songCount, album_count AS albumCount FROM genre WHERE song_count > 0 OR album_count > 0 ORDER BY name, id;

-- src/catalog/libraries.repository.ts
SELECT id FROM library;
SELECT id, name FROM library ORDER BY id;
SELECT max(coalesce(changed_at, last_scan_at, created_at)) AS at FROM library WHERE id IN (SELECT value FROM json_each(?));
SELECT path FROM library WHERE id = ?;

-- src/catalog/search.repository.ts
DELETE FROM search_album WHERE rowid = ?;
DELETE FROM search_artist WHERE rowid = ?;
DELETE FROM search_track WHERE rowid = ?;
INSERT INTO search_album (rowid, name, artist, genre, year) VALUES (?, ?, ?, ?, ?);
INSERT INTO search_album (search_album) VALUES ('optimize');
INSERT INTO search_artist (rowid, name, sort_name) VALUES (?, ?, ?);
INSERT INTO search_artist (search_artist) VALUES ('optimize');
INSERT INTO search_track (rowid, title, artist, album, album_artist, composer, genre) VALUES (?, ?, ?, ?, ?, ?, ?);
INSERT INTO search_track (search_track) VALUES ('optimize');
SELECT c.id FROM json_each(?) AS hit JOIN track c ON c.pk = hit.value ORDER BY hit.key;
SELECT c.pk, c.name, CASE WHEN c.sort_name = c.name THEN NULL ELSE c.sort_name END FROM artist c WHERE c.pk IN (SELECT value FROM json_each(?));
SELECT c.pk, c.title, coalesce((SELECT group_concat(a.name, ' / ') FROM track_artist ta JOIN artist a ON a.id = ta.artist_id WHERE ta.track_id = c.id AND ta.role = 'artist'), c.artist_name), c.album_name, c.album_artist_name, (SELECT group_concat(a.name, ' / ') FROM track_artist ta JOIN artist a ON a.id = ta.artist_id WHERE ta.track_id = c.id AND ta.role = 'composer'), coalesce((SELECT group_concat(g.name, ' / ') FROM track_genre tg JOIN genre g ON g.id = tg.genre_id WHERE tg.track_id = c.id), c.genre) FROM track c WHERE c.pk IN (SELECT value FROM json_each(?));
SELECT c.pk, trim(c.name || ' ' || c.version), coalesce((SELECT group_concat(a.name, ' / ') FROM album_artist aa JOIN artist a ON a.id = aa.artist_id WHERE aa.album_id = c.id), c.artist_name), coalesce((SELECT group_concat(g.name, ' / ') FROM album_genre ag JOIN genre g ON g.id = ag.genre_id WHERE ag.album_id = c.id), c.genre), c.year FROM album c WHERE c.pk IN (SELECT value FROM json_each(?));
SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name in (?, …);
SELECT pk FROM album WHERE pk > ? ORDER BY pk LIMIT 2000;
SELECT pk FROM artist WHERE pk > ? ORDER BY pk LIMIT 2000;
SELECT pk FROM track WHERE pk > ? ORDER BY pk LIMIT 2000;
SELECT rowid FROM search_album WHERE search_album MATCH ? ORDER BY bm25(search_album, 8, 2, 0.3, 0.3), rowid LIMIT ? OFFSET ?;
SELECT rowid FROM search_artist WHERE search_artist MATCH ? ORDER BY bm25(search_artist, 8, 1), rowid LIMIT ? OFFSET ?;
SELECT rowid FROM search_track WHERE search_track MATCH ? ORDER BY bm25(search_track, 8, 2, 1, 0.6, 0.6, 0.3), rowid LIMIT ? OFFSET ?;
insert into "setting" ("key", "value") values (?, ?) on conflict ("key") do update set "value" = ?;
select "value" from "setting" where "key" = ?;

-- src/catalog/track-files.repository.ts
SELECT t.id, t.library_id, t.path, t.title, t.suffix, t.content_type, t.bitrate, t.duration, t.lossless, t.codec, t.sample_rate, t.channels, t.bit_depth, l.path AS library_path, l.name AS library_name, l.offline_since, l.offline_reason FROM track t JOIN library l ON l.id = t.library_id WHERE t.id = ?;

-- src/catalog/tracks.repository.ts
SELECT t.id FROM track t WHERE (t.artist_id IN (SELECT value FROM json_each(?)) OR t.album_id IN (SELECT aa.album_id FROM album_artist aa WHERE aa.artist_id IN (SELECT value FROM json_each(?)))) AND t.id <> ? ORDER BY random() LIMIT ?;
SELECT t.id FROM track t WHERE 1 AND t.id NOT IN (SELECT value FROM json_each(?)) ORDER BY random() LIMIT ?;
SELECT t.id FROM track t WHERE 1 ORDER BY random() LIMIT ?;
SELECT t.id FROM track t WHERE 1 ORDER BY t.pk LIMIT ? OFFSET ?;
SELECT t.id FROM track t WHERE t.id IN (SELECT ta.track_id FROM track_artist ta WHERE ta.artist_id = ? AND ta.role = 'artist' UNION SELECT t2.id FROM track t2 WHERE t2.artist_id = ?) ORDER BY coalesce((SELECT it.plays FROM insight_total it WHERE it.kind = 'track' AND it.subject_id = t.id), 0) DESC, (SELECT al.year FROM album al WHERE al.id = t.album_id), t.album_id, t.disc_number, t.track_number, t.path, t.id LIMIT ?;
SELECT t.id, t.library_id, t.album_id, t.artist_id, t.path, t.title, t.artist_name, t.album_name, t.duration, t.content_type, t.suffix, t.file_size FROM track t WHERE t.id IN (SELECT value FROM json_each(?));
SELECT t.id, t.library_id, t.album_id, t.artist_id, t.path, t.title, t.artist_name, t.album_name, t.duration, t.content_type, t.suffix, t.file_size FROM track t WHERE t.id IN (SELECT value FROM json_each(?)) AND t.library_id IN (SELECT value FROM json_each(?));
SELECT t.id, t.library_id, t.folder_id, t.path, t.title, t.sort_title, t.suffix, t.content_type, t.file_size, t.duration, t.bitrate, t.sample_rate, t.bit_depth, t.channels, t.codec, t.lossless, t.album_id, t.album_name, t.album_artist_name, t.artist_id, t.artist_name, t.track_number, t.disc_number, t.disc_subtitle, t.year, t.genre, t.compilation, t.has_embedded_art, t.mbz_recording_id, t.isrc, t.bpm, t.comment, t.rg_track_gain, t.rg_track_peak, t.rg_album_gain, t.rg_album_peak, t.lyrics <> '[]' AS has_lyrics, json_extract(t.tags, '$.moods') AS moods, t.created_at, t.updated_at FROM track t WHERE t.album_id = ? ORDER BY t.disc_number, t.track_number, t.path, t.id;
SELECT t.id, t.library_id, t.folder_id, t.path, t.title, t.sort_title, t.suffix, t.content_type, t.file_size, t.duration, t.bitrate, t.sample_rate, t.bit_depth, t.channels, t.codec, t.lossless, t.album_id, t.album_name, t.album_artist_name, t.artist_id, t.artist_name, t.track_number, t.disc_number, t.disc_subtitle, t.year, t.genre, t.compilation, t.has_embedded_art, t.mbz_recording_id, t.isrc, t.bpm, t.comment, t.rg_track_gain, t.rg_track_peak, t.rg_album_gain, t.rg_album_peak, t.lyrics <> '[]' AS has_lyrics, json_extract(t.tags, '$.moods') AS moods, t.created_at, t.updated_at FROM track t WHERE t.folder_id = ? ORDER BY t.path;
SELECT t.id, t.library_id, t.folder_id, t.path, t.title, t.sort_title, t.suffix, t.content_type, t.file_size, t.duration, t.bitrate, t.sample_rate, t.bit_depth, t.channels, t.codec, t.lossless, t.album_id, t.album_name, t.album_artist_name, t.artist_id, t.artist_name, t.track_number, t.disc_number, t.disc_subtitle, t.year, t.genre, t.compilation, t.has_embedded_art, t.mbz_recording_id, t.isrc, t.bpm, t.comment, t.rg_track_gain, t.rg_track_peak, t.rg_album_gain, t.rg_album_peak, t.lyrics <> '[]' AS has_lyrics, json_extract(t.tags, '$.moods') AS moods, t.created_at, t.updated_at FROM track t WHERE t.folder_id IN (SELECT value FROM json_each(?)) ORDER BY t.path;
SELECT t.id, t.library_id, t.folder_id, t.path, t.title, t.sort_title, t.suffix, t.content_type, t.file_size, t.duration, t.bitrate, t.sample_rate, t.bit_depth, t.channels, t.codec, t.lossless, t.album_id, t.album_name, t.album_artist_name, t.artist_id, t.artist_name, t.track_number, t.disc_number, t.disc_subtitle, t.year, t.genre, t.compilation, t.has_embedded_art, t.mbz_recording_id, t.isrc, t.bpm, t.comment, t.rg_track_gain, t.rg_track_peak, t.rg_album_gain, t.rg_album_peak, t.lyrics <> '[]' AS has_lyrics, json_extract(t.tags, '$.moods') AS moods, t.created_at, t.updated_at FROM track t WHERE t.id IN (SELECT value FROM json_each(?));
SELECT t.lyrics FROM track t WHERE t.id = ?;
SELECT ta.track_id, ta.role, ta.sub_role, a.id, a.name FROM track_artist ta JOIN artist a ON a.id = ta.artist_id WHERE ta.track_id IN (SELECT value FROM json_each(?)) ORDER BY ta.track_id, ta.role, ta.position;
SELECT tg.track_id FROM track_genre tg JOIN track t ON t.id = tg.track_id WHERE tg.genre_id = (SELECT g.id FROM genre g WHERE g.name = ?) ORDER BY tg.track_id LIMIT ? OFFSET ?;
SELECT tg.track_id, g.name FROM track_genre tg JOIN genre g ON g.id = tg.genre_id WHERE tg.track_id IN (SELECT value FROM json_each(?)) ORDER BY tg.track_id, tg.position;

-- src/db/database.ts
PRAGMA data_version;
SELECT total_changes();

-- src/db/migrate.ts
INSERT INTO kysely_migration (name, timestamp) VALUES (?, ?);
SELECT name FROM kysely_migration ORDER BY name;

-- src/insights/model.repository.ts
SELECT similar_id AS id, score FROM artist_similar WHERE artist_id = ? ORDER BY score DESC, similar_id LIMIT ?;

-- src/insights/personal.repository.ts
SELECT artist_id, id FROM ( SELECT t.artist_id, t.id, row_number() OVER ( PARTITION BY t.artist_id ORDER BY coalesce(it.plays, 0) DESC, t.album_id, t.disc_number, t.track_number, t.id) AS n FROM track t LEFT JOIN insight_total it ON it.kind = 'track' AND it.subject_id = t.id WHERE t.artist_id IN (SELECT value FROM json_each(?))) WHERE n <= ?;

-- src/library/catalog-refresh.repository.ts
DELETE FROM album_artist WHERE album_id = ?;
DELETE FROM album_genre WHERE album_id = ?;
DELETE FROM artist WHERE id = ?;
DELETE FROM genre WHERE song_count = 0 AND album_count = 0;
DELETE FROM library_album WHERE album_id = ?;
DELETE FROM library_artist WHERE artist_id = ?;
INSERT INTO album_genre (album_id, genre_id, position) SELECT ?, tg.genre_id, row_number() OVER (ORDER BY count(*) DESC, min(tg.position)) - 1 FROM track_genre tg JOIN track t ON t.id = tg.track_id WHERE t.album_id = ? GROUP BY tg.genre_id;
INSERT OR IGNORE INTO album_artist (album_id, artist_id, position) VALUES (?, ?, ?);
INSERT OR IGNORE INTO library_album (library_id, album_id) SELECT DISTINCT library_id, ? FROM track WHERE album_id = ?;
INSERT OR IGNORE INTO library_artist (library_id, artist_id) SELECT DISTINCT t.library_id, ? FROM track_artist ta JOIN track t ON t.id = ta.track_id WHERE ta.artist_id = ? UNION SELECT DISTINCT la.library_id, ? FROM album_artist aa JOIN library_album la ON la.album_id = aa.album_id WHERE aa.artist_id = ?;
SELECT DISTINCT role FROM track_artist WHERE artist_id = ? ORDER BY role;
SELECT artist_id FROM album_artist WHERE album_id = ?;
SELECT count(*) FROM album WHERE artist_id = ?;
SELECT count(*) FROM album_artist WHERE artist_id = ?;
SELECT count(DISTINCT track_id) FROM track_artist WHERE artist_id = ? AND role = 'artist';
SELECT id FROM artist WHERE name = ? COLLATE NOCASE;
SELECT id, library_id, folder_id, path, album_name, album_artist_name, disc_number, disc_subtitle, year, date, original_date, release_date, compilation, duration, file_size, has_embedded_art, mbz_album_id, created_at, tags FROM track WHERE album_id = ? ORDER BY disc_number, track_number, path, id;
SELECT pk FROM artist WHERE id = ?;
SELECT pk, artist_id FROM album WHERE id = ?;
SELECT t.library_id, t.path FROM album_artist aa JOIN track t ON t.album_id = aa.album_id WHERE aa.artist_id = ? LIMIT 1;
UPDATE album SET name = ?, sort_name = ?, order_name = ?, version = ?, artist_id = ?, artist_name = ?, order_artist_name = ?, compilation = ?, mbz_album_id = ?, mbz_release_group_id = ?, year = ?, date = ?, original_date = ?, release_date = ?, release_types = ?, record_labels = ?, genre = (SELECT g.name FROM track_genre tg JOIN track t ON t.id = tg.track_id JOIN genre g ON g.id = tg.genre_id WHERE t.album_id = ? GROUP BY g.id ORDER BY count(*) DESC, min(tg.position), g.name LIMIT 1), song_count = ?, disc_count = ?, duration = ?, size = ?, disc_titles = ?, cover_library_id = ?, cover_path = ?, cover_track_id = ?, folder_id = ?, created_at = ?, updated_at = ? WHERE id = ?;
UPDATE artist SET album_count = ?, song_count = ?, roles = ?, image_library_id = ?, image_path = ?, updated_at = ? WHERE id = ?;
UPDATE genre SET song_count = (SELECT count(*) FROM track_genre WHERE genre_id = genre.id), album_count = (SELECT count(*) FROM album_genre WHERE genre_id = genre.id);

-- src/library/catalog-write.repository.ts
INSERT INTO album (id, name, sort_name, order_name, artist_id, artist_name, order_artist_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING;
INSERT INTO artist (id, name, sort_name, order_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING;
INSERT INTO genre (id, name) VALUES (?, ?) ON CONFLICT DO NOTHING;

-- src/library/folders.repository.ts
DELETE FROM folder WHERE id = ?;
INSERT INTO folder (id, library_id, parent_id, path, name, mtime, images, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name, mtime = excluded.mtime, images = excluded.images, updated_at = excluded.updated_at;
SELECT id, path, mtime, images FROM folder WHERE library_id = ?;
SELECT images FROM folder WHERE id = ?;
UPDATE folder SET track_count = (SELECT count(*) FROM track WHERE folder_id = folder.id) WHERE id = ?;

-- src/library/library.repository.ts
insert into "library" ("name", "path", "created_at") values (?, ?, ?);
select "offline_since", "device" from "library" where "id" = ?;
select * from "library" order by "id";
select * from "library" where "name" = ?;
update "library" set "last_scan_at" = ?, "changed_at" = ? where "id" = ?;
update "library" set "offline_since" = ?, "offline_reason" = ?, "device" = ? where "id" = ?;

-- src/library/scan.repository.ts
DELETE FROM scan_issue WHERE library_id = ? AND path = ?;
DELETE FROM setting WHERE key = ?;
INSERT INTO scan_issue (library_id, path, file_size, file_mtime, reason, seen_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (library_id, path) DO UPDATE SET file_size = excluded.file_size, file_mtime = excluded.file_mtime, reason = excluded.reason, seen_at = excluded.seen_at;
INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?);
SELECT path, file_size, file_mtime, reason FROM scan_issue WHERE library_id = ?;
SELECT value FROM setting WHERE key = ?;

-- src/library/tracks-write.repository.ts
INSERT INTO track (id, library_id, folder_id, path, file_size, file_mtime, suffix, content_type, title, sort_title, order_title, album_id, album_name, artist_id, artist_name, album_artist_name, track_number, track_total, disc_number, disc_total, disc_subtitle, year, date, original_date, release_date, genre, compilation, duration, bitrate, sample_rate, bit_depth, channels, codec, lossless, has_embedded_art, mbz_recording_id, mbz_track_id, mbz_album_id, isrc, bpm, comment, rg_track_gain, rg_track_peak, rg_album_gain, rg_album_peak, lyrics, tags, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
INSERT OR IGNORE INTO track_artist (track_id, artist_id, role, sub_role, position) VALUES (?, ?, ?, ?, ?);
INSERT OR IGNORE INTO track_genre (track_id, genre_id, position) VALUES (?, ?, ?);
SELECT pk, id, library_id, path, album_id, created_at FROM track WHERE id = ?;
SELECT pk, id, path, file_size, file_mtime, album_id, created_at, missing_since FROM track WHERE library_id = ?;

-- src/listening/listening.repository.ts
insert into "listen" ("user_id", "track_id", "player", "started_at", "last_event_at", "ended_at", "listened_ms", "position_ms", "duration_ms", "end_type", "outcome", "source") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning "pk";
insert into "listening_event" ("user_id", "event_id", "schema_version", "track_id", "type", "position_ms", "listened_ms", "at", "player", "source", "received_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict ("user_id", "event_id") do nothing;
select * from "listen" where "user_id" = ? and "player" = ? and "ended_at" is null;
update "listen" set "ended_at" = ?, "last_event_at" = ?, "listened_ms" = ?, "position_ms" = ?, "end_type" = ?, "outcome" = ? where "pk" = ?;

-- src/listening/stats.repository.ts
INSERT INTO insight_item (track_id, album_id, artist_id) VALUES (?, ?, ?) ON CONFLICT (track_id) DO UPDATE SET album_id = coalesce(excluded.album_id, album_id), artist_id = coalesce(excluded.artist_id, artist_id);
INSERT INTO listen_hour (user_id, hour, listens, plays, skips, listened_ms) VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT (user_id, hour) DO UPDATE SET listens = listens + 1, plays = plays + excluded.plays, skips = skips + excluded.skips, listened_ms = listened_ms + excluded.listened_ms;
INSERT INTO listen_stat (user_id, track_id, listens, plays, skips, listened_ms, first_played_at, last_played_at, last_listen_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, track_id) DO UPDATE SET listens = listens + 1, plays = plays + excluded.plays, skips = skips + excluded.skips, listened_ms = listened_ms + excluded.listened_ms, first_played_at = coalesce(min(first_played_at, excluded.first_played_at), first_played_at, excluded.first_played_at), last_played_at = coalesce(max(last_played_at, excluded.last_played_at), last_played_at, excluded.last_played_at), last_listen_at = max(last_listen_at, excluded.last_listen_at);
INSERT INTO listen_total (user_id, listens, plays, skips, listened_ms, last_listen_at) VALUES (?, 1, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET listens = listens + 1, plays = plays + excluded.plays, skips = skips + excluded.skips, listened_ms = listened_ms + excluded.listened_ms, last_listen_at = max(last_listen_at, excluded.last_listen_at);
INSERT OR IGNORE INTO insight_dirty (listen_pk) VALUES (?);
INSERT OR IGNORE INTO play_timeline (user_pk, started_at, item_pk) VALUES ((SELECT pk FROM user WHERE id = ?), ?, (SELECT pk FROM insight_item WHERE track_id = ?));

-- src/streaming/players.repository.ts
insert into "player" ("id", "user_id", "client", "user_agent", "name", "last_seen_at", "last_address", "created_at") values (?, ?, ?, ?, ?, ?, ?, ?) on conflict ("user_id", "client", "user_agent") do update set "last_seen_at" = "excluded"."last_seen_at", "last_address" = "excluded"."last_address" where ("player"."last_seen_at" < "excluded"."last_seen_at" - ? or "player"."last_address" <> "excluded"."last_address");
select "p".*, "u"."username" from "player" as "p" inner join "user" as "u" on "u"."id" = "p"."user_id" where "p"."user_id" = ? and "p"."client" = ? and "p"."user_agent" = ?;
