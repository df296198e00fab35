// Typo tolerance over the words of a search index: a misspelt query word is replaced by the most frequent
// indexed word within a small edit distance ("radiohaed" finds "Radiohead"). Pure: the words come in
// from the index (search.repository.ts vocabularyRows), the answers go out as words.

/** An index's words, arranged for the two questions below. */
export interface Vocabulary {
  /** Every indexed term, sorted, for the "is it a prefix of a known term" check. */
  sorted: string[];
  /** Terms of 4+ characters by length (in code points), with the number of rows holding them. */
  byLength: Map<number, VocabularyTerm[]>;
}

interface VocabularyTerm {
  term: string;
  chars: string[];
  rows: number;
}

/** Words shorter than this are never corrected: too many real words lie one edit apart. */
export const MIN_CORRECTED_LENGTH = 4;

/** A vocabulary from [term, rows holding it] pairs. */
export function buildVocabulary(rows: readonly (readonly [string, number])[]): Vocabulary {
  const byLength = new Map<number, VocabularyTerm[]>();
  for (const [term, count] of rows) {
    const chars = [...term];
    if (chars.length < MIN_CORRECTED_LENGTH) continue;
    const bucket = byLength.get(chars.length) ?? [];
    if (bucket.length === 0) byLength.set(chars.length, bucket);
    bucket.push({ term, chars, rows: count });
  }
  return { sorted: rows.map(([term]) => term).sort(), byLength };
}

export function isKnownPrefix(sorted: readonly string[], word: string): boolean {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < word) low = middle + 1;
    else high = middle;
  }
  return low < sorted.length && sorted[low]!.startsWith(word);
}

/** The most frequent term within 1 edit (2 for words of 8+ characters) of `word`, if any. */
export function closestTerm(words: Vocabulary, word: string): string | undefined {
  const chars = [...word];
  const maxDistance = chars.length >= 8 ? 2 : 1;
  let best: { entry: VocabularyTerm; distance: number } | undefined;
  for (let length = chars.length - maxDistance; length <= chars.length + maxDistance; length++) {
    for (const entry of words.byLength.get(length) ?? []) {
      const distance = editDistance(chars, entry.chars, best?.distance ?? maxDistance);
      if (distance === undefined) continue;
      if (!best || distance < best.distance || entry.rows > best.entry.rows) best = { entry, distance };
    }
  }
  return best?.entry.term;
}

/**
 * Optimal string alignment distance (edits plus adjacent transpositions), or undefined when it exceeds
 * `max`; stops as soon as a whole row of the table is over the bound.
 */
export function editDistance(a: readonly string[], b: readonly string[], max: number): number | undefined {
  if (Math.abs(a.length - b.length) > max) return undefined;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, before[j - 2]! + 1);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return undefined;
    [before, previous, current] = [previous, current, before];
  }
  const distance = previous[b.length]!;
  return distance <= max ? distance : undefined;
}
