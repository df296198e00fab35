// The co-listening model (docs/insights.md, "Similar tracks and artists"): item-to-item collaborative
// filtering on implicit feedback. Two items are co-listened when one user played both within WINDOW_MS of
// each other (one listening session, roughly); a user who does so again and again counts, but with
// diminishing weight (log2(1 + n)), so one person's habit cannot outweigh many people's agreement, and a
// household of two still gets a model. The score is that damped co-occurrence normalised like a cosine by
// both items' damped popularity, shrunk when the evidence is thin:
//   co(a, b)    = Σ_users log2(1 + n_u(a, b))   n_u: a's plays by u that had b within the window
//   pop(x)      = Σ_users log2(1 + plays_u(x))
//   score(a, b) = co / sqrt(pop(a) · pop(b)) · co / (co + SHRINK)      when co ≥ MIN_CO
// One co-listen is a coincidence (a shuffle, a mistake); the same pair heard together twice by one person
// (co = log2 3 ≈ 1.58), or once each by two, is a pattern. Without that floor, rarely played tracks that
// happened to share a session once outrank real neighbours: the cosine favours the rare.
// Everything here is pure and deterministic over the plays it is given (ties go to the smaller id), so a
// recompute cut short and resumed gives exactly what an uninterrupted one gives.

export const WINDOW_MS = 30 * 60_000;
export const SHRINK = 2;
export const MIN_CO = 1.5;

/** Plays sorted by user, then time: parallel arrays (users as their pk), items as indexes into `ids`. */
export interface Timeline {
  users: Int32Array;
  items: Int32Array;
  times: Float64Array;
  /** Item ids by index. */
  ids: string[];
}

export interface Neighbour {
  id: string;
  score: number;
}

/** A timeline with each item's plays found fast, and each item's damped popularity. */
export class CoListening {
  readonly timeline: Timeline;
  private readonly offsets: Int32Array;
  private readonly postings: Int32Array;
  private readonly popularity: Float64Array;
  /** Which play last counted an item (dedupes an item within one play's window without clearing). */
  private readonly stamps: Int32Array;
  private stamp = 0;

  constructor(timeline: Timeline) {
    this.timeline = timeline;
    const count = timeline.ids.length;
    const { items, users } = timeline;
    // Postings: for each item, the indexes of its plays, in timeline order (grouped by user).
    this.offsets = new Int32Array(count + 1);
    for (let i = 0; i < items.length; i++) this.offsets[items[i]! + 1]!++;
    for (let item = 0; item < count; item++) this.offsets[item + 1]! += this.offsets[item]!;
    const fill = this.offsets.slice(0, count);
    this.postings = new Int32Array(items.length);
    for (let i = 0; i < items.length; i++) this.postings[fill[items[i]!]!++] = i;
    this.popularity = new Float64Array(count);
    for (let item = 0; item < count; item++) {
      let sum = 0;
      let run = 0;
      let user = -1;
      for (let p = this.offsets[item]!; p < this.offsets[item + 1]!; p++) {
        const u = users[this.postings[p]!]!;
        if (u !== user) {
          if (run > 0) sum += Math.log2(1 + run);
          user = u;
          run = 0;
        }
        run++;
      }
      if (run > 0) sum += Math.log2(1 + run);
      this.popularity[item] = sum;
    }
    this.stamps = new Int32Array(count);
  }

  /** Items that have plays, by id order: the order a full recompute goes through them. */
  anchorsInOrder(): number[] {
    const anchors: number[] = [];
    for (let item = 0; item < this.timeline.ids.length; item++)
      if (this.offsets[item + 1]! > this.offsets[item]!) anchors.push(item);
    const { ids } = this.timeline;
    return anchors.sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0));
  }

  indexOf(id: string): number | undefined {
    this.byId ??= new Map(this.timeline.ids.map((itemId, index) => [itemId, index]));
    return this.byId.get(id);
  }
  private byId: Map<string, number> | undefined;

  /** Where in the timeline a user (pk) played an item at a time (a play being taken in), if it is there. */
  findPlay(userPk: number, itemId: string, time: number): number | undefined {
    const item = this.indexOf(itemId);
    if (item === undefined) return undefined;
    for (const at of this.playsOf(item))
      if (this.timeline.users[at] === userPk && this.timeline.times[at] === time) return at;
    return undefined;
  }

  /** The timeline positions of an item's plays. */
  playsOf(item: number): Int32Array {
    return this.postings.subarray(this.offsets[item]!, this.offsets[item + 1]!);
  }

  /** Items played within the window of the play at timeline position `at` (not the item itself). */
  windowOf(at: number, visit: (item: number) => void): void {
    const { users, items, times } = this.timeline;
    const user = users[at]!;
    const time = times[at]!;
    const self = items[at]!;
    for (let j = at - 1; j >= 0 && users[j] === user && time - times[j]! <= WINDOW_MS; j--)
      if (items[j] !== self) visit(items[j]!);
    for (let j = at + 1; j < items.length && users[j] === user && times[j]! - time <= WINDOW_MS; j++)
      if (items[j] !== self) visit(items[j]!);
  }

  /** The `limit` items most co-listened with `anchor`, best first. */
  neighbours(anchor: number, limit: number): Neighbour[] {
    const { users, ids } = this.timeline;
    const co = new Map<number, number>();
    const perUser = new Map<number, number>();
    let user = -1;
    const flush = () => {
      for (const [item, n] of perUser) co.set(item, (co.get(item) ?? 0) + Math.log2(1 + n));
      perUser.clear();
    };
    for (const at of this.playsOf(anchor)) {
      if (users[at] !== user) {
        flush();
        user = users[at]!;
      }
      const stamp = ++this.stamp;
      this.windowOf(at, (item) => {
        if (this.stamps[item] === stamp) return;
        this.stamps[item] = stamp;
        perUser.set(item, (perUser.get(item) ?? 0) + 1);
      });
    }
    flush();
    const anchorPopularity = this.popularity[anchor]!;
    const scored: { item: number; score: number }[] = [];
    for (const [item, c] of co) {
      if (c < MIN_CO) continue;
      const score = (c / Math.sqrt(anchorPopularity * this.popularity[item]!)) * (c / (c + SHRINK));
      scored.push({ item, score });
    }
    scored.sort(
      (a, b) => b.score - a.score || (ids[a.item]! < ids[b.item]! ? -1 : ids[a.item]! > ids[b.item]! ? 1 : 0),
    );
    return scored.slice(0, limit).map(({ item, score }) => ({ id: ids[item]!, score: round(score) }));
  }
}

/** Scores are stored rounded: the same on every run, whatever order floating-point sums were taken in. */
function round(score: number): number {
  return Math.round(score * 1e6) / 1e6;
}

/**
 * Builds a timeline from plays already sorted by user and time, in typed arrays grown as needed; items
 * come as indexes into `ids`, which the caller numbered.
 */
export class TimelineBuilder {
  private users: Int32Array;
  private items: Int32Array;
  private times: Float64Array;
  private length = 0;

  /** `capacity`: how many plays are coming, when known (no growing, no copies). */
  constructor(capacity = 1024) {
    this.users = new Int32Array(Math.max(1, capacity));
    this.items = new Int32Array(Math.max(1, capacity));
    this.times = new Float64Array(Math.max(1, capacity));
  }

  add(userPk: number, item: number, time: number): void {
    if (this.length === this.users.length) this.grow();
    this.users[this.length] = userPk;
    this.items[this.length] = item;
    this.times[this.length] = time;
    this.length++;
  }

  private grow(): void {
    const size = this.users.length * 2;
    const users = new Int32Array(size);
    users.set(this.users);
    const items = new Int32Array(size);
    items.set(this.items);
    const times = new Float64Array(size);
    times.set(this.times);
    this.users = users;
    this.items = items;
    this.times = times;
  }

  build(ids: string[]): Timeline {
    const exact = this.length === this.users.length;
    return {
      users: exact ? this.users : this.users.slice(0, this.length),
      items: exact ? this.items : this.items.slice(0, this.length),
      times: exact ? this.times : this.times.slice(0, this.length),
      ids,
    };
  }
}

/** Numbers for ids, in the order first met. */
export class Numbering {
  readonly ids: string[] = [];
  private readonly numbers = new Map<string, number>();
  of(id: string | null): number {
    if (id === null) return -1;
    let number = this.numbers.get(id);
    if (number === undefined) {
      number = this.ids.length;
      this.ids.push(id);
      this.numbers.set(id, number);
    }
    return number;
  }
}
