// The answer-cache key of a Subsonic request (src/http/answer-cache.ts keeps the answers of endpoints
// marked cacheable): endpoint, caller, player and every parameter except credentials.

/** The cache key of a request: endpoint, caller and every parameter except credentials. */
export function cacheKey(
  endpoint: string,
  userId: string,
  names: string[],
  get: (name: string) => string[],
  /** The caller's player: its format and limit show in song entries (transcodedSuffix). */
  playerId = '',
): string {
  const credentials = new Set(['u', 'p', 't', 's', 'apiKey']);
  const parts = names
    .filter((name) => !credentials.has(name))
    .sort()
    .map((name) => `${name}=${get(name).join('\u0001')}`);
  return `${endpoint}\u0000${userId}\u0000${playerId}\u0000${parts.join('\u0000')}`;
}
