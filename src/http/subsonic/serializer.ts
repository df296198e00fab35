// Turns a plain payload object into a Subsonic response in XML, JSON or JSONP. Handlers return data in
// the JSON shape and this module derives the XML from it with one set of rules:
//   - a scalar (string, number, boolean, Date) property is an XML attribute and a native JSON value;
//   - an array property is a run of repeated child elements named after the key, and always a JSON array
//     (even with one item); an array of scalars gives elements with text (<versions>1</versions>);
//   - an object property is one child element;
//   - a `value` property is the element's text (<genre songCount="3">Rock</genre>);
//   - undefined, null and non-finite numbers are left out of both forms.
import { TonearmError } from '../../shared/errors.ts';
import { SERVER_VERSION } from '../version.ts';

export const SUBSONIC_API_VERSION = '1.16.1';
export const SUBSONIC_XMLNS = 'http://subsonic.org/restapi';
export const SERVER_TYPE = 'tonearm';

export type SubsonicPayload = Record<string, unknown>;

export type SubsonicFormat = { kind: 'xml' } | { kind: 'json' } | { kind: 'jsonp'; callback: string };

export interface SerializedResponse {
  contentType: string;
  body: string;
}

/** The OpenSubsonic envelope: every response carries these, errors included. */
export function envelope(status: 'ok' | 'failed', payload: SubsonicPayload = {}): SubsonicPayload {
  return {
    status,
    version: SUBSONIC_API_VERSION,
    type: SERVER_TYPE,
    serverVersion: SERVER_VERSION,
    openSubsonic: true,
    ...payload,
  };
}

export function errorEnvelope(code: number, message: string): SubsonicPayload {
  return envelope('failed', { error: { code, message } });
}

// Dotted names allow namespaced callbacks (jQuery-style `ns.fn`); anything else could inject script.
const CALLBACK_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$/;
const CALLBACK_MAX_LENGTH = 128;

/**
 * The format asked for with `f` (xml when absent or unknown, as the original server does). A jsonp request
 * without a usable callback gets a JSON answer plus the error to put in it.
 */
export function resolveFormat(
  f: string | undefined,
  callback: string | undefined,
): { format: SubsonicFormat; error?: TonearmError } {
  if (f === 'json') return { format: { kind: 'json' } };
  if (f !== 'jsonp') return { format: { kind: 'xml' } };
  if (callback === undefined || callback === '') {
    return {
      format: { kind: 'json' },
      error: new TonearmError('MISSING_PARAMETER', 'required parameter is missing: callback'),
    };
  }
  if (callback.length > CALLBACK_MAX_LENGTH || !CALLBACK_PATTERN.test(callback)) {
    return {
      format: { kind: 'json' },
      error: new TonearmError(
        'BAD_REQUEST',
        'callback must be a JavaScript identifier such as handleResponse',
      ),
    };
  }
  return { format: { kind: 'jsonp', callback } };
}

export function serialize(format: SubsonicFormat, response: SubsonicPayload): SerializedResponse {
  switch (format.kind) {
    case 'xml':
      return { contentType: 'text/xml; charset=utf-8', body: toXml(response) };
    case 'json':
      return { contentType: 'application/json; charset=utf-8', body: toJson(response) };
    case 'jsonp':
      return {
        contentType: 'application/javascript; charset=utf-8',
        body: `${format.callback}(${toJson(response)});`,
      };
  }
}

// ---------------------------------------------------------------------------------------------- JSON

export function toJson(response: SubsonicPayload): string {
  const envelope = { 'subsonic-response': response };
  // Without a replacer JSON.stringify takes V8's fast path (about twice as fast). Mappers leave out
  // absent values, so the replacer is only needed when something slipped through: a null (NaN and
  // Infinity come out as null too) or a bigint (which throws).
  try {
    const fast = JSON.stringify(envelope);
    if (!MAYBE_NULL_VALUE.test(fast)) return fast;
  } catch {
    // a bigint: the replacer turns it into a number
  }
  return JSON.stringify(envelope, jsonReplacer);
}

/** A null as a value or an array item; also matches inside strings, which only costs the slow path. */
const MAYBE_NULL_VALUE = /[:,[]null[,\]}]/;

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value === null) return undefined;
  if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
  if (typeof value === 'bigint') return Number(value);
  // Filtered here because JSON.stringify turns an undefined array item into null.
  if (Array.isArray(value))
    return value.filter(
      (item) => item !== null && item !== undefined && !(typeof item === 'number' && !Number.isFinite(item)),
    );
  return value;
}

// ----------------------------------------------------------------------------------------------- XML

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

export function toXml(response: SubsonicPayload): string {
  const out: string[] = [XML_DECLARATION];
  writeElement(out, 'subsonic-response', response, ` xmlns="${SUBSONIC_XMLNS}"`);
  return out.join('');
}

type Scalar = string | number | boolean | Date;

function scalarText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    default:
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
      return undefined;
  }
}

function isScalar(value: unknown): value is Scalar {
  const type = typeof value;
  return (
    type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint' || value instanceof Date
  );
}

function writeElement(out: string[], name: string, value: unknown, extraAttributes = ''): void {
  assertXmlName(name);
  if (isScalar(value)) {
    const text = scalarText(value);
    if (text !== undefined) out.push(`<${name}>${escapeText(text)}</${name}>`);
    return;
  }
  if (value === null || typeof value !== 'object') return;

  let attributes = extraAttributes;
  let text: string | undefined;
  const children: [string, unknown][] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || item === null) continue;
    if (key === 'value' && isScalar(item)) {
      text = scalarText(item);
    } else if (isScalar(item)) {
      const itemText = scalarText(item);
      if (itemText === undefined) continue;
      assertXmlName(key);
      attributes += ` ${key}="${escapeAttribute(itemText)}"`;
    } else if (!Array.isArray(item) || item.length > 0) {
      children.push([key, item]);
    }
  }
  if (text === undefined && children.length === 0) {
    out.push(`<${name}${attributes}/>`);
    return;
  }
  out.push(`<${name}${attributes}>`);
  if (text !== undefined) out.push(escapeText(text));
  for (const [key, item] of children) {
    if (Array.isArray(item)) {
      for (const element of item) {
        if (Array.isArray(element)) throw new Error(`cannot write nested arrays as XML (key ${key})`);
        writeElement(out, key, element);
      }
    } else {
      writeElement(out, key, item);
    }
  }
  out.push(`</${name}>`);
}

const checkedNames = new Set<string>();
const XML_NAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

/** Keys come from handler code, not from users; a bad one is a programming error. */
function assertXmlName(name: string): void {
  if (checkedNames.has(name)) return;
  if (!XML_NAME.test(name)) throw new Error(`"${name}" cannot be an XML element or attribute name`);
  if (checkedNames.size < 10_000) checkedNames.add(name);
}

// Characters XML 1.0 cannot carry at all, even escaped (tags read from files sometimes contain them):
// C0 controls other than tab/newline/return, U+FFFE/U+FFFF and unpaired surrogates become U+FFFD.
const NOT_XML_CHARACTERS =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ATTRIBUTE_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  // Escaped so that attribute-value normalisation does not turn them into spaces.
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };

export function escapeAttribute(text: string): string {
  return text
    .replace(NOT_XML_CHARACTERS, '\uFFFD')
    .replace(/[&<>"\t\n\r]/g, (char) => ATTRIBUTE_ESCAPES[char]!);
}

export function escapeText(text: string): string {
  return text.replace(NOT_XML_CHARACTERS, '\uFFFD').replace(/[&<>\r]/g, (char) => TEXT_ESCAPES[char]!);
}
