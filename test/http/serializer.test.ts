import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  envelope,
  errorEnvelope,
  escapeAttribute,
  resolveFormat,
  serialize,
  toJson,
  toXml,
} from '../../src/http/subsonic/serializer.ts';
import { SERVER_VERSION } from '../../src/http/version.ts';
import { parseXml } from '../helpers/http.ts';

const PREFIX = '<?xml version="1.0" encoding="UTF-8"?>';
const ROOT_ATTRIBUTES = `xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1" type="tonearm" serverVersion="${SERVER_VERSION}" openSubsonic="true"`;

describe('Subsonic serializer', () => {
  test('an empty ok envelope', () => {
    assert.equal(toXml(envelope('ok')), `${PREFIX}<subsonic-response ${ROOT_ATTRIBUTES}/>`);
    assert.equal(
      toJson(envelope('ok')),
      `{"subsonic-response":{"status":"ok","version":"1.16.1","type":"tonearm","serverVersion":"${SERVER_VERSION}","openSubsonic":true}}`,
    );
  });

  test('scalars are attributes, arrays repeated elements, objects child elements, value is text', () => {
    const payload = {
      musicFolders: { musicFolder: [{ id: 1, name: 'Music' }] },
      genres: { genre: [{ songCount: 3, albumCount: 1, value: 'Rock & Roll' }] },
      openSubsonicExtensions: [{ name: 'formPost', versions: [1, 2] }],
    };
    assert.equal(
      toXml(envelope('ok', payload)),
      `${PREFIX}<subsonic-response ${ROOT_ATTRIBUTES}>` +
        '<musicFolders><musicFolder id="1" name="Music"/></musicFolders>' +
        '<genres><genre songCount="3" albumCount="1">Rock &amp; Roll</genre></genres>' +
        '<openSubsonicExtensions name="formPost"><versions>1</versions><versions>2</versions></openSubsonicExtensions>' +
        '</subsonic-response>',
    );
    const json = JSON.parse(toJson(envelope('ok', payload)))['subsonic-response'];
    assert.deepEqual(
      json.musicFolders,
      { musicFolder: [{ id: 1, name: 'Music' }] },
      'one item is still an array',
    );
    assert.deepEqual(json.genres.genre[0], { songCount: 3, albumCount: 1, value: 'Rock & Roll' });
    assert.deepEqual(json.openSubsonicExtensions, [{ name: 'formPost', versions: [1, 2] }]);
  });

  test('native JSON types; null, undefined and non-finite numbers are left out of both forms', () => {
    const payload = {
      song: [
        {
          id: 'tr-1',
          duration: 215,
          starred: new Date('2026-03-02T20:30:00Z'),
          isDir: false,
          year: null,
          bpm: undefined,
          gain: Number.NaN,
          track: 0,
        },
      ],
      list: [1, null, 2, undefined, Number.POSITIVE_INFINITY],
    };
    const json = JSON.parse(toJson(envelope('ok', payload)))['subsonic-response'];
    assert.deepEqual(json.song, [
      { id: 'tr-1', duration: 215, starred: '2026-03-02T20:30:00.000Z', isDir: false, track: 0 },
    ]);
    assert.deepEqual(json.list, [1, 2]);
    const xml = toXml(envelope('ok', payload));
    assert.ok(
      xml.includes(
        '<song id="tr-1" duration="215" starred="2026-03-02T20:30:00.000Z" isDir="false" track="0"/>',
      ),
      xml,
    );
    assert.ok(xml.includes('<list>1</list><list>2</list></subsonic-response>'), xml);
  });

  test('an empty array gives no element (XML) and [] (JSON)', () => {
    const payload = { albumList2: { album: [] } };
    assert.ok(toXml(envelope('ok', payload)).endsWith('<albumList2/></subsonic-response>'));
    assert.deepEqual(JSON.parse(toJson(envelope('ok', payload)))['subsonic-response'].albumList2, {
      album: [],
    });
  });

  test('attribute and text escaping round-trips through an XML parser', async () => {
    const nasty = 'A & B <"C"> \'D\'\n\tE\r F ]]> \u0001 \uD800 😀';
    const xml = toXml(envelope('ok', { item: { title: nasty, value: nasty } }));
    const parsed = (await parseXml(xml)) as {
      'subsonic-response': { item: { $: { title: string }; _: string }[] };
    };
    const item = parsed['subsonic-response'].item[0]!;
    const expected = nasty.replace('\u0001', '\uFFFD').replace('\uD800', '\uFFFD');
    assert.equal(item.$.title, expected);
    assert.equal(item._, expected);
    assert.equal(escapeAttribute('"<&>'), '&quot;&lt;&amp;&gt;');
  });

  test('bad element names and nested arrays are programming errors', () => {
    assert.throws(() => toXml(envelope('ok', { 'bad name': { a: 1 } })), /XML/);
    assert.throws(() => toXml(envelope('ok', { item: { 'x"y': 1 } })), /XML/);
    assert.throws(() => toXml(envelope('ok', { item: [[1]] })), /nested arrays/);
  });

  test('error envelope', async () => {
    const xml = toXml(errorEnvelope(40, 'wrong username or password'));
    assert.ok(xml.includes('status="failed"'));
    assert.ok(xml.endsWith('<error code="40" message="wrong username or password"/></subsonic-response>'));
    const json = JSON.parse(toJson(errorEnvelope(70, 'not found')))['subsonic-response'];
    assert.deepEqual(json.error, { code: 70, message: 'not found' });
    assert.equal(json.status, 'failed');
  });

  test('formats: xml by default, json, jsonp with a validated callback', () => {
    assert.deepEqual(resolveFormat(undefined, undefined).format, { kind: 'xml' });
    assert.deepEqual(resolveFormat('XML?', undefined).format, { kind: 'xml' });
    assert.deepEqual(resolveFormat('json', 'ignored').format, { kind: 'json' });
    assert.deepEqual(resolveFormat('jsonp', 'cb'), { format: { kind: 'jsonp', callback: 'cb' } });
    assert.equal(resolveFormat('jsonp', undefined).error?.code, 'MISSING_PARAMETER');
    for (const callback of ['a-b', 'a()', 'a;b', '1a', 'a..b', 'a.', '']) {
      const resolved = resolveFormat('jsonp', callback);
      assert.ok(resolved.error, callback);
      assert.equal(resolved.format.kind, 'json');
    }
    const out = serialize({ kind: 'jsonp', callback: 'cb' }, envelope('ok'));
    assert.equal(out.contentType, 'application/javascript; charset=utf-8');
    assert.match(out.body, /^cb\(\{"subsonic-response":.*\}\);$/);
    assert.equal(serialize({ kind: 'xml' }, envelope('ok')).contentType, 'text/xml; charset=utf-8');
  });
});
