// One track's grouping inputs for the album-grouping tests: a plain tagged track of 'Album' by 'P' at
// F/A/01.mp3, changed by what a test gives.
import type { GroupingInputs } from '../../src/library/grouping.ts';

export function groupingMember(overrides: Partial<GroupingInputs>): GroupingInputs {
  return {
    path: 'F/A/01.mp3',
    title: 'T',
    artists: ['P'],
    albumName: 'Album',
    albumArtistTag: null,
    albumArtists: [],
    compilation: false,
    mbzAlbumId: null,
    mbzTrackId: null,
    albumVersion: '',
    discNumber: 1,
    trackNumber: 1,
    suffix: 'mp3',
    ...overrides,
  };
}
