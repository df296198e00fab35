// The web app's API types are generated from the server's OpenAPI document (web/scripts/api-types.ts);
// this fails while the committed file differs from what the routes give now.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { it } from 'node:test';
import { API_TYPES_FILE, apiTypesSource } from '../../web/scripts/api-types.ts';

it('web/src/api/schema.d.ts matches the routes (run `npm run web:api-types` after changing one)', async () => {
  const committed = fs.readFileSync(API_TYPES_FILE, 'utf8');
  const expected = await apiTypesSource();
  assert.ok(committed === expected, 'web/src/api/schema.d.ts is stale: run `npm run web:api-types`');
  assert.match(committed, /"\/api\/v1\/albums": \{/);
});
