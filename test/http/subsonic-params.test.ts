import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodePassword } from '../../src/http/subsonic/auth.ts';
import { SubsonicParams } from '../../src/http/subsonic/params.ts';

describe('SubsonicParams', () => {
  test('query and body merge; repeated keys keep every value in order', () => {
    const params = SubsonicParams.parse('id=1&u=alice&id=2', 'id=3&p=a%20b+c');
    assert.deepEqual(params.getAll('id'), ['1', '2', '3']);
    assert.equal(params.get('id'), '1');
    assert.equal(params.get('p'), 'a b c');
    assert.equal(params.get('missing'), undefined);
    assert.deepEqual(params.getAll('missing'), []);
    assert.equal(params.has('u'), true);
  });

  test('required, int and bool report clear errors', () => {
    const params = SubsonicParams.parse('count=20&offset=x&big=99999999999&flag=true&off=0&bad=maybe&empty=');
    assert.equal(params.required('count'), '20');
    assert.throws(() => params.required('empty'), {
      code: 'MISSING_PARAMETER',
      message: 'required parameter is missing: empty',
    });
    assert.throws(() => params.required('nope'), { code: 'MISSING_PARAMETER' });
    assert.equal(params.int('count', { min: 0, max: 500 }), 20);
    assert.equal(params.int('nope'), undefined);
    assert.throws(() => params.int('offset'), { code: 'BAD_REQUEST' });
    assert.throws(() => params.int('big'), { code: 'BAD_REQUEST' });
    assert.throws(() => params.int('count', { max: 10 }), /from -2147483648 to 10/);
    assert.equal(params.bool('flag'), true);
    assert.equal(params.bool('off'), false);
    assert.equal(params.bool('nope'), undefined);
    assert.throws(() => params.bool('bad'), { code: 'BAD_REQUEST' });
  });

  test('enc: passwords are hex of UTF-8; malformed hex is rejected', () => {
    assert.equal(decodePassword('enc:736573616d65'), 'sesame');
    assert.equal(decodePassword('enc:C3A4'), 'ä');
    assert.equal(decodePassword('sesame'), 'sesame');
    assert.equal(decodePassword('enc:'), undefined);
    assert.equal(decodePassword('enc:abc'), undefined);
    assert.equal(decodePassword('enc:zz'), undefined);
  });
});
