// Tag text that was stored in one encoding and declared as another.
//
// ID3v1, ID3v2 frames with encoding byte 0 and RIFF INFO chunks are Latin-1 by their specs, but many
// taggers write UTF-8 bytes there (and old Windows taggers wrote the system code page, such as CP1251 or
// Shift-JIS). The parser decodes them as Latin-1, which turns "ünïcode" into "Ã¼nÃ¯code".
//
// The rule, applied to every text value from those tag formats:
// 1. Take the bytes the parser decoded (each character back to its Latin-1 or Windows-1252 byte).
// 2. If those bytes are valid UTF-8 with at least one multi-byte character, the text is that UTF-8.
// 3. Otherwise, if a legacy code page is configured (scanner.legacyEncoding) and most of the text's letters
//    are beyond ASCII (as Cyrillic or CJK read as Latin-1 are, and Western accented text is not), the text
//    is those bytes in that code page.
// 4. Otherwise the text stays Latin-1, as declared.
// Text with any character outside Latin-1 was decoded from a Unicode encoding and is left alone.

/** Tag types (music-metadata's names) whose text may be declared Latin-1. */
const LATIN1_TAG_TYPES = new Set(['ID3v1', 'ID3v2.2', 'ID3v2.3', 'ID3v2.4', 'exif', 'AIFF']);

// Windows-1252 puts printable characters at 0x80–0x9F, where Latin-1 has control codes.
const WINDOWS_1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const BYTE_OF_CHAR = new Map<number, number>();
for (let index = 0; index < WINDOWS_1252_HIGH.length; index++)
  BYTE_OF_CHAR.set(WINDOWS_1252_HIGH.charCodeAt(index), 0x80 + index);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export interface TagTextDecoder {
  /** The text with a misdeclared encoding put right (see the rule above); anything else as it is. */
  repair(text: string): string;
}

export function tagTextDecoder(legacyEncoding?: string): TagTextDecoder {
  const legacy = legacyEncoding ? new TextDecoder(legacyEncoding) : undefined;
  return {
    repair(text: string): string {
      const bytes = latin1Bytes(text);
      if (!bytes) return text;
      try {
        return strictUtf8.decode(bytes);
      } catch {
        return legacy && mostlyBeyondAscii(text) ? legacy.decode(bytes) : text;
      }
    },
  };
}

/**
 * Whether most letters of the text are beyond ASCII, as text in a Cyrillic, Greek or CJK code page read as
 * Latin-1 is ("Êèíî"), and Western text with accents is not ("Björk", "Été à Noël"): the legacy code page
 * applies only to the first, so a collection's genuine Latin-1 and UTF-16 text stays as it is.
 */
function mostlyBeyondAscii(text: string): boolean {
  let beyond = 0;
  let ascii = 0;
  for (const char of text) {
    if (char.charCodeAt(0) >= 0x80) beyond++;
    else if (/[A-Za-z]/.test(char)) ascii++;
  }
  return beyond > ascii;
}

/** The bytes a Latin-1 (or Windows-1252) decoder turned into `text`; undefined when it was plain ASCII or not from one. */
function latin1Bytes(text: string): Uint8Array | undefined {
  let high = false;
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) {
      bytes[index] = code;
      continue;
    }
    const byte = code <= 0xff ? code : BYTE_OF_CHAR.get(code);
    if (byte === undefined) return undefined;
    bytes[index] = byte;
    high = true;
  }
  return high ? bytes : undefined;
}

/** Whether a file's tags include a format whose text may be declared Latin-1. */
export function mayHoldLatin1Text(tagTypes: readonly string[]): boolean {
  return tagTypes.some((type) => LATIN1_TAG_TYPES.has(type));
}

/**
 * Repairs, in place, every text value of a parsed tag structure: strings, lists of strings, and objects
 * holding them (comments, lyrics). Binary values (pictures) are left alone.
 */
export function repairTagTexts(value: unknown, decoder: TagTextDecoder): unknown {
  if (typeof value === 'string') return decoder.repair(value);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) value[index] = repairTagTexts(value[index], decoder);
    return value;
  }
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = repairTagTexts(record[key], decoder);
  }
  return value;
}
