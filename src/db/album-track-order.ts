// The one order of an album's tracks, for every query that lists, plays, shares or zips an album or picks
// its first track (the catalog's reads and the scanner's album refresh alike): disc, track number, then
// the file's path, so files without track numbers (untagged rips, demos) come in file order, as Navidrome
// and file browsers show them. The id only breaks the tie of one path in two libraries.

export const ALBUM_TRACK_ORDER_COLUMNS = ['disc_number', 'track_number', 'path', 'id'] as const;

/** The order as ORDER BY text, each column prefixed with `alias.` when one is given: `t.disc_number, ...`. */
export function albumTrackOrder(alias?: string): string {
  return ALBUM_TRACK_ORDER_COLUMNS.map((column) => (alias ? `${alias}.${column}` : column)).join(', ');
}
