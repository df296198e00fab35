// Request parameters of a Subsonic call: the query string merged with an x-www-form-urlencoded POST body
// (OpenSubsonic formPost). Repeated keys (id=1&id=2) keep every value, query values first.
import { TonearmError } from '../../shared/errors.ts';

export class SubsonicParams {
  private readonly values: Map<string, string[]>;

  constructor(values: Map<string, string[]>) {
    this.values = values;
  }

  static parse(...sources: (string | undefined)[]): SubsonicParams {
    const values = new Map<string, string[]>();
    for (const source of sources) {
      if (!source) continue;
      for (const [key, value] of new URLSearchParams(source)) {
        const list = values.get(key);
        if (list) list.push(value);
        else values.set(key, [value]);
      }
    }
    return new SubsonicParams(values);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The first value, or undefined. */
  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  getAll(name: string): string[] {
    return [...(this.values.get(name) ?? [])];
  }

  /** The first value; throws Subsonic error 10 when the parameter is absent or empty. */
  required(name: string): string {
    const value = this.get(name);
    if (value === undefined || value === '') {
      throw new TonearmError('MISSING_PARAMETER', `required parameter is missing: ${name}`);
    }
    return value;
  }

  /** An integer parameter within [min, max]; undefined when absent, error 0 when not such a number. */
  int(name: string, range: { min?: number; max?: number } = {}): number | undefined {
    const text = this.get(name);
    if (text === undefined || text === '') return undefined;
    const min = range.min ?? -2_147_483_648;
    const max = range.max ?? 2_147_483_647;
    const value = /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new TonearmError('BAD_REQUEST', `parameter ${name} must be an integer from ${min} to ${max}`);
    }
    return value;
  }

  /** true/false (also 1/0); undefined when absent, error 0 otherwise. */
  bool(name: string): boolean | undefined {
    const text = this.get(name)?.trim().toLowerCase();
    if (text === undefined || text === '') return undefined;
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    throw new TonearmError('BAD_REQUEST', `parameter ${name} must be true or false`);
  }

  /** Names present, for debugging; values are never exposed this way because they may hold secrets. */
  names(): string[] {
    return [...this.values.keys()];
  }
}
