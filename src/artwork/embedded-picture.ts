// The cover picture inside an audio file, read with music-metadata. Reading stops after the leading tag
// blocks (skipPostHeaders), which is where ID3v2, FLAC, MP4 and Vorbis keep pictures; only when that finds
// none is the file read again with its trailing tags (an APEv2 tag at the end of an MP3, as some taggers
// write it).
// Callers cache the result: a file is parsed once per (path, size, mtime).
import { parseFile, selectCover } from 'music-metadata';

export async function embeddedPicture(file: string): Promise<Uint8Array | undefined> {
  const leading = await parseFile(file, { skipPostHeaders: true, duration: false });
  const picture = selectCover(leading.common.picture);
  if (picture) return picture.data;
  const whole = await parseFile(file, { duration: false });
  return selectCover(whole.common.picture)?.data;
}
