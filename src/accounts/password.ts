// Password hashing with argon2id. Parameters are OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane):
// a NAS has little RAM and few cores, and every hash is stored with its parameters, so raising them
// later does not break existing hashes.
import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, HASH_OPTIONS);
}

/** False for a wrong password and for a hash argon2 cannot read. */
export async function verifyPasswordHash(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/** Spends as long as a real check, so answers for unknown users do not come back faster. */
export async function burnVerification(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPasswordHash(await dummyHash, password);
}
