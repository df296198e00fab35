// Slows down password guessing without handing anyone a way to lock others out. Shared by the Subsonic
// API and the native API; the address is the client's (src/http/client-address.ts: behind a trusted
// reverse proxy, the forwarded one), grouped per IPv6 /64.
//
// Password logins (Subsonic u+p and u+t+s, HTTP Basic) are counted per (address, account):
//   - the first `perAccount.free` (5) failures cost nothing; after that each attempt waits
//     1 s, 2 s, 4 s … (doubling, at most 5 minutes) after the previous failure;
//   - one address's failures over all accounts are counted too: beyond `perAddress.free` (20) its
//     password attempts wait the same way — except for accounts that have logged in successfully from
//     that address in the last 7 days (a device that is known there keeps working while someone else at
//     the same address, or behind the same unconfigured proxy, guesses);
//   - an attempt during a wait is refused without checking the password and is not counted;
//   - a successful login clears its (address, account) failures, not the address's;
//   - failures are forgotten an hour after the last one.
// So an account is never locked from everywhere: failures from one address slow down only that address.
// A spread-out guesser gets five tries per address and then doubling waits; strong passwords and the
// "login failed" log lines (address and user, for fail2ban) are the answer to many addresses.
//
// API keys are random 256-bit values: they cannot be guessed, so they are always checked and a valid key
// is never refused. Invalid keys are counted per address (`apiKeys`: 10 free, then doubling waits up
// to a minute) only to tell a client that keeps sending a revoked key to stop (429 / error 44 with the
// wait); password failures never touch API keys, and API-key failures never touch passwords. Signed
// media URLs do not pass through here at all.
//
// A failure counts once its check is done, and an argon2 check takes tens of milliseconds: checks running
// side by side would each pass the throttle before any of them failed. So password checks run one at a
// time per (address, account) and at most `concurrentPerAddress` (4) at a time per address, each looking
// at the throttle only when its turn comes (checkPassword). 64 guesses sent at once get the same 5 free
// tries as 64 sent one by one; a client's own parallel requests wait a moment for the first check and
// then hit the credential cache.
//
// Memory: one Map, least recently touched first, at most `maxEntries` (50,000: a few MB) entries;
// forgotten entries are dropped from its front as new ones arrive. In memory only: a restart forgets it.
import { TonearmError } from '../shared/errors.ts';
import { addressGroup } from '../shared/ip-address.ts';

export interface BackoffRule {
  /** Failures that cost nothing. */
  free: number;
  /** The wait after the first failure beyond the free ones; it doubles with each further failure. */
  baseMs: number;
  /** The longest wait. */
  maxMs: number;
}

export interface LoginThrottleOptions {
  perAccount?: Partial<BackoffRule>;
  perAddress?: Partial<BackoffRule>;
  apiKeys?: Partial<BackoffRule>;
  /** Failures are forgotten this long after the last one (1 hour). */
  forgetAfterMs?: number;
  /** How long a successful login exempts its (address, account) from the address's ceiling (7 days). */
  knownFor?: number;
  maxEntries?: number;
  /** Password checks one address may have running at once. */
  concurrentPerAddress?: number;
  now?: () => number;
}

export const DEFAULT_THROTTLE = {
  perAccount: { free: 5, baseMs: 1000, maxMs: 5 * 60_000 },
  perAddress: { free: 20, baseMs: 1000, maxMs: 5 * 60_000 },
  apiKeys: { free: 10, baseMs: 1000, maxMs: 60_000 },
  forgetAfterMs: 60 * 60_000,
  knownFor: 7 * 24 * 60 * 60_000,
  maxEntries: 50_000,
  concurrentPerAddress: 4,
} as const;

/** A refusal: how long to wait and whose failures caused it. */
export interface ThrottleWait {
  ms: number;
  /** 'account': this account's failures from this address; 'address': all failures from it. */
  cause: 'account' | 'address';
}

interface Entry {
  failures: number;
  lastFailure: number;
  /** Last successful login (account entries only); 0 when none. */
  lastSuccess: number;
  /** Last failure or success: the Map's order. */
  touched: number;
}

/** A successful login is written at most this often (every Subsonic request carries credentials). */
const SUCCESS_RESOLUTION_MS = 60_000;

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly perAccount: BackoffRule;
  private readonly perAddress: BackoffRule;
  private readonly apiKeys: BackoffRule;
  private readonly forgetAfterMs: number;
  private readonly knownFor: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly concurrentPerAddress: number;
  /** The last password check queued per (address, account): the next one starts after it. */
  private readonly pairTurns = new Map<string, Promise<void>>();
  /** Password checks running per address, and those waiting for a place. */
  private readonly addressSlots = new Map<string, { running: number; waiting: (() => void)[] }>();

  constructor(options: LoginThrottleOptions = {}) {
    this.perAccount = { ...DEFAULT_THROTTLE.perAccount, ...options.perAccount };
    this.perAddress = { ...DEFAULT_THROTTLE.perAddress, ...options.perAddress };
    this.apiKeys = { ...DEFAULT_THROTTLE.apiKeys, ...options.apiKeys };
    this.forgetAfterMs = options.forgetAfterMs ?? DEFAULT_THROTTLE.forgetAfterMs;
    this.knownFor = options.knownFor ?? DEFAULT_THROTTLE.knownFor;
    this.maxEntries = options.maxEntries ?? DEFAULT_THROTTLE.maxEntries;
    this.now = options.now ?? Date.now;
    this.concurrentPerAddress = options.concurrentPerAddress ?? DEFAULT_THROTTLE.concurrentPerAddress;
  }

  /**
   * Runs one password check in its turn: after the checks of the same (address, account) queued before
   * it, and with at most `concurrentPerAddress` of this address's checks at once. `check` consults the
   * throttle itself (assertPasswordAttemptAllowed) so that it sees every failure before it.
   */
  async inTurn<T>(address: string, account: string, check: () => Promise<T>): Promise<T> {
    const key = pairKey(address, account);
    const before = this.pairTurns.get(key);
    let done!: () => void;
    const turn = new Promise<void>((resolve) => {
      done = resolve;
    });
    const tail = (before ?? Promise.resolve()).then(() => turn);
    this.pairTurns.set(key, tail);
    if (before) await before;
    const group = addressKey(address);
    await this.takeSlot(group);
    try {
      return await check();
    } finally {
      this.giveSlot(group);
      done();
      if (this.pairTurns.get(key) === tail) this.pairTurns.delete(key);
    }
  }

  private async takeSlot(group: string): Promise<void> {
    let slots = this.addressSlots.get(group);
    if (!slots) {
      slots = { running: 0, waiting: [] };
      this.addressSlots.set(group, slots);
    }
    if (slots.running < this.concurrentPerAddress) {
      slots.running++;
      return;
    }
    // giveSlot hands its place over directly, so `running` stays counted.
    await new Promise<void>((resolve) => slots.waiting.push(resolve));
  }

  private giveSlot(group: string): void {
    const slots = this.addressSlots.get(group);
    if (!slots) return;
    const next = slots.waiting.shift();
    if (next) next();
    else if (--slots.running === 0) this.addressSlots.delete(group);
  }

  /** How long a password attempt for `account` from `address` must wait; undefined when it may go ahead. */
  passwordWait(address: string, account: string): ThrottleWait | undefined {
    const now = this.now();
    const pair = this.entries.get(pairKey(address, account));
    const accountMs = this.waitMs(pair, this.perAccount, now);
    const known = pair !== undefined && pair.lastSuccess > 0 && now - pair.lastSuccess < this.knownFor;
    const addressMs = known ? 0 : this.waitMs(this.entries.get(addressKey(address)), this.perAddress, now);
    if (accountMs <= 0 && addressMs <= 0) return undefined;
    return accountMs >= addressMs ? { ms: accountMs, cause: 'account' } : { ms: addressMs, cause: 'address' };
  }

  passwordFailed(address: string, account: string): void {
    const now = this.now();
    this.fail(pairKey(address, account), now);
    this.fail(addressKey(address), now);
  }

  /** Clears this pair's failures (not the address's: one valid account must not reset it for guessers). */
  passwordSucceeded(address: string, account: string): void {
    const now = this.now();
    const key = pairKey(address, account);
    const entry = this.entries.get(key);
    if (entry && entry.failures === 0 && now - entry.lastSuccess < SUCCESS_RESOLUTION_MS) return;
    this.put(key, { failures: 0, lastFailure: 0, lastSuccess: now, touched: now }, now);
  }

  /** How long invalid API keys from this address should wait before the next try (0: no wait). */
  apiKeyWait(address: string): number {
    return this.waitMs(this.entries.get(apiKeyKey(address)), this.apiKeys, this.now());
  }

  apiKeyFailed(address: string): void {
    this.fail(apiKeyKey(address), this.now());
  }

  /** Entries held (for tests of the memory bound). */
  get size(): number {
    return this.entries.size;
  }

  private waitMs(entry: Entry | undefined, rule: BackoffRule, now: number): number {
    if (!entry || entry.failures <= 0 || now - entry.lastFailure >= this.forgetAfterMs) return 0;
    const beyond = entry.failures - rule.free;
    if (beyond < 0) return 0;
    const delay = Math.min(rule.baseMs * 2 ** Math.min(beyond, 40), rule.maxMs);
    return Math.max(0, entry.lastFailure + delay - now);
  }

  private fail(key: string, now: number): void {
    const entry = this.entries.get(key);
    const fresh = entry !== undefined && now - entry.lastFailure < this.forgetAfterMs;
    this.put(
      key,
      {
        failures: (fresh ? entry.failures : 0) + 1,
        lastFailure: now,
        lastSuccess: entry?.lastSuccess ?? 0,
        touched: now,
      },
      now,
    );
  }

  private put(key: string, entry: Entry, now: number): void {
    // Delete and set again so the Map's order stays least recently touched first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    const stale = now - Math.max(this.forgetAfterMs, this.knownFor);
    for (const [oldest, value] of this.entries) {
      if (this.entries.size <= this.maxEntries && value.touched > stale) break;
      this.entries.delete(oldest);
    }
  }
}

// Usernames compare case-insensitively (ASCII, like the database), so Alice and alice share a counter.
function accountName(username: string): string {
  return username.replace(/[A-Z]/g, (char) => char.toLowerCase());
}

function pairKey(address: string, account: string): string {
  return `p ${addressGroup(address)} ${accountName(account)}`;
}

function addressKey(address: string): string {
  return `a ${addressGroup(address)}`;
}

function apiKeyKey(address: string): string {
  return `k ${addressGroup(address)}`;
}

/** "3 seconds", "1 second", "5 minutes" (rounded up). */
export function describeWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 120) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

/**
 * Checks a password in its turn (LoginThrottle.inTurn): refused without checking while the throttle says
 * wait, counted as a failure or a success once checked. Resolves with the user, or undefined for a wrong
 * password; throws LOGIN_THROTTLED.
 */
export function checkPassword<U>(
  throttle: LoginThrottle,
  address: string,
  username: string,
  verify: () => Promise<U | undefined>,
  completesLogin: (user: U) => boolean = () => true,
): Promise<U | undefined> {
  return throttle.inTurn(address, username, async () => {
    assertPasswordAttemptAllowed(throttle, address, username);
    const user = await verify();
    // A right password that is not a whole login (the account also needs a second factor) is neither a
    // success nor a failure: clearing the failures there would let the second factor be guessed for ever.
    if (user) {
      if (completesLogin(user)) throttle.passwordSucceeded(address, username);
    } else throttle.passwordFailed(address, username);
    return user;
  });
}

/** Throws LOGIN_THROTTLED (Subsonic 40, HTTP 429 + Retry-After) when this password attempt must wait. */
export function assertPasswordAttemptAllowed(
  throttle: LoginThrottle,
  address: string,
  username: string,
): void {
  const wait = throttle.passwordWait(address, username);
  if (!wait) return;
  const whose = wait.cause === 'account' ? ` for ${username}` : '';
  throw new TonearmError(
    'LOGIN_THROTTLED',
    `too many failed logins${whose} from your address; try again in ${describeWait(wait.ms)}`,
    { retryAfterSeconds: Math.ceil(wait.ms / 1000) },
  );
}

/**
 * Counts an invalid API key and returns the error to throw: INVALID_API_KEY, or API_KEY_THROTTLED (also
 * Subsonic 44; HTTP 429 + Retry-After) once this address's invalid keys are past the free ones.
 */
export function invalidApiKey(throttle: LoginThrottle, address: string): TonearmError {
  throttle.apiKeyFailed(address);
  const ms = throttle.apiKeyWait(address);
  if (ms <= 0) return new TonearmError('INVALID_API_KEY', 'invalid API key');
  return new TonearmError(
    'API_KEY_THROTTLED',
    `invalid API key; too many invalid API keys from your address, wait ${describeWait(ms)} before the next try`,
    { retryAfterSeconds: Math.ceil(ms / 1000) },
  );
}
