// Slows down credential guessing (passwords, tokens, API keys): after `maxFailures` failed logins within
// `windowMs` from one IP address, or against one username, further attempts from that address / for that
// name are refused (Subsonic error 40, 44 for API keys) without checking the credentials until the oldest
// of those failures leaves the window.
//
// In memory only, so a restart forgets it, and several processes would not share it. The per-username limit
// means a guesser can keep a real user out for one window; that is the price of stopping a botnet spread
// over many addresses. Behind a reverse proxy every request comes from the proxy's address, so the per-IP
// limit then applies to all clients together.
export interface LoginThrottleOptions {
  maxFailures?: number;
  windowMs?: number;
  /** Upper bound on remembered addresses and names; the least recently failing are forgotten first. */
  maxKeys?: number;
  now?: () => number;
}

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: LoginThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.maxKeys = options.maxKeys ?? 50_000;
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds until this address and name may try again; 0 when they may try now. */
  retryAfterMs(ip: string, username: string): number {
    return Math.max(this.blockedFor(ipKey(ip)), this.blockedFor(userKey(username)));
  }

  recordFailure(ip: string, username: string): void {
    this.add(ipKey(ip));
    this.add(userKey(username));
  }

  /** For logins that name no user (API keys): the address's limit only. */
  retryAfterMsForIp(ip: string): number {
    return this.blockedFor(ipKey(ip));
  }

  recordIpFailure(ip: string): void {
    this.add(ipKey(ip));
  }

  /** A correct password clears the name's failures (not the address's: one valid account must not reset it). */
  recordSuccess(username: string): void {
    this.failures.delete(userKey(username));
  }

  private blockedFor(key: string): number {
    const times = this.recent(key);
    if (times.length < this.maxFailures) return 0;
    const oldest = times[times.length - this.maxFailures]!;
    return Math.max(0, oldest + this.windowMs - this.now());
  }

  private recent(key: string): number[] {
    const times = this.failures.get(key);
    if (!times) return [];
    const since = this.now() - this.windowMs;
    const kept = times.filter((time) => time > since);
    if (kept.length === 0) this.failures.delete(key);
    else if (kept.length !== times.length) this.failures.set(key, kept);
    return kept;
  }

  private add(key: string): void {
    const times = this.recent(key);
    times.push(this.now());
    // Only the last maxFailures timestamps decide anything.
    if (times.length > this.maxFailures) times.splice(0, times.length - this.maxFailures);
    // Delete and set again so the Map's order is least recently failing first.
    this.failures.delete(key);
    this.failures.set(key, times);
    while (this.failures.size > this.maxKeys) {
      const first = this.failures.keys().next().value;
      if (first === undefined) break;
      this.failures.delete(first);
    }
  }
}

function ipKey(ip: string): string {
  return `ip:${ip}`;
}

// Usernames compare case-insensitively (ASCII, like the database), so Alice and alice share a counter.
function userKey(username: string): string {
  return `user:${username.replace(/[A-Z]/g, (char) => char.toLowerCase())}`;
}
