// One album-track order everywhere an album's tracks are listed, played, zipped or shared. Files without
// track numbers (untagged rips, demos) play in file order, as Navidrome and file browsers show them: here
// their titles sort differently ("The Apple" files under A) from their paths, so a place that orders by
// title instead of path gives itself away.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { makeAudio } from '../helpers/audio.ts';
import { type Json, type SubsonicServer, startSubsonicServer } from '../helpers/subsonic-server.ts';

const FILES = ['Moon.mp3', 'The Apple.mp3', 'Zulu.mp3'];
const IN_PATH_ORDER = ['Moon', 'The Apple', 'Zulu'];

let server: SubsonicServer;

before(async () => {
  server = await startSubsonicServer({
    addToSecondLibrary: async (root) => {
      for (const [index, file] of FILES.entries()) {
        await makeAudio(path.join(root, 'Loose Ends/Demos', file), {
          format: 'mp3',
          frequency: 500 + index * 40,
          stripAllTags: true,
        });
      }
    },
  });
});
after(() => server?.close());

/** Entry names of a ZIP archive, in archive order, from its central directory. */
function zipEntryNames(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
}

it('an album of untagged files is in file order wherever its tracks are listed, shared or zipped', async () => {
  const found = await server.json('search3', { query: 'Demos', albumCount: 1, songCount: 0, artistCount: 0 });
  const albumId = found.searchResult3.album[0].id as string;
  const songs = (await server.json('getAlbum', { id: albumId })).album.song as Json[];
  assert.deepEqual(
    songs.map((song) => song.track),
    [undefined, undefined, undefined],
    'no track numbers',
  );
  const directory = await server.json('getMusicDirectory', { id: songs[0]!.parent });
  const shared = await server.json('createShare', { id: albumId });
  const zip = await fetch(server.url('download', { id: albumId }));
  assert.equal(zip.headers.get('content-type'), 'application/zip');
  const titles = (items: Json[]) => items.map((item) => item.title as string);
  assert.deepEqual(
    {
      getAlbum: titles(songs),
      getMusicDirectory: titles(directory.directory.child),
      createShare: titles(shared.shares.share[0].entry),
      download: zipEntryNames(Buffer.from(await zip.arrayBuffer())).map((name) => name.replace(/\.mp3$/, '')),
    },
    {
      getAlbum: IN_PATH_ORDER,
      getMusicDirectory: IN_PATH_ORDER,
      createShare: IN_PATH_ORDER,
      download: IN_PATH_ORDER,
    },
  );
});
