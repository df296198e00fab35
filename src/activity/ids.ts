// Random ids for things users create. Shares are public URLs, so their ids must be unguessable.
import { randomBytes } from 'node:crypto';

export function newId(prefix: 'pl-' | 'sh-' | 'rs-'): string {
  return `${prefix}${randomBytes(12).toString('base64url')}`;
}
