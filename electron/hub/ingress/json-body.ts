// Checks a webhook's JSON body before any source parses it, so every kind is held to the
// same rules:
// - UTF-8, strictly: bytes that are not UTF-8 (FF FE, an encoded surrogate) would become
//   U+FFFD in the stored text, silently changing what the sender said;
// - no lone surrogate escapes ("\ud800"): JSON.parse turns them into strings that are not
//   Unicode, which SQLite, channels and the UI would each mangle their own way;
// - nesting at most MAX_JSON_DEPTH deep: a few kilobytes of `[[[[…` parse fine but overflow
//   the stack of every recursive step after (schema validation, structured clone between
//   threads, JSON.stringify in the commit). Counted on the bytes, before JSON.parse, with
//   strings skipped: no real payload comes near 64 (GitHub's nest about 6 deep).
// A form-encoded body (GitHub's other content type) is checked on its `payload=` field.
import { isUtf8 } from 'node:buffer';

export const MAX_JSON_DEPTH = 64;

/** GitHub's default webhook content type: the JSON in a `payload=` field. No other sender uses it. */
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;.*)?$/i;
export const isFormEncoded = (contentType: string | undefined) => FORM_TYPE.test(contentType ?? '');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LETTER_U = 0x75;

/** What is wrong with a JSON body, in one line; undefined when nothing is (malformed JSON is left to JSON.parse). */
export function jsonBodyProblem(bytes: Buffer): string | undefined {
  if (!isUtf8(bytes)) return 'body is not valid UTF-8';
  return structureProblem(bytes);
}

/**
 * The JSON in a form-encoded body's `payload` field as bytes, or the problem with it.
 * Strict where URLSearchParams is lenient: percent-encoding that is not UTF-8 is refused,
 * not replaced by U+FFFD.
 */
export function formPayloadJson(body: Buffer): { json: Buffer } | { problem: string } {
  if (!isUtf8(body)) return { problem: 'body is not valid UTF-8' };
  for (const field of body.toString('utf8').split('&')) {
    const [name, ...value] = field.split('=');
    if (name !== 'payload') continue;
    try {
      return { json: Buffer.from(decodeURIComponent(value.join('=').replace(/\+/g, ' ')), 'utf8') };
    } catch {
      return { problem: 'the form field "payload" is not valid percent-encoded UTF-8' };
    }
  }
  return { json: Buffer.alloc(0) };
}

/**
 * Depth and surrogate escapes in one pass. Strings, most of a payload's bytes, are skipped
 * with Buffer.indexOf (native) from quote to quote; only escapes inside them and the few
 * bytes between them are looked at one by one.
 */
function structureProblem(bytes: Buffer): string | undefined {
  let depth = 0;
  const end = bytes.length;
  /** The next backslash at or after where the scan is, or -1: searched again only once passed. */
  let backslash = bytes.indexOf(BACKSLASH);
  for (let i = 0; i < end; i++) {
    const byte = bytes[i]!;
    if (byte === QUOTE) {
      let from = i + 1;
      for (;;) {
        const quote = bytes.indexOf(QUOTE, from);
        if (quote === -1) return undefined; // unterminated: JSON.parse says so
        if (backslash !== -1 && backslash < from) backslash = bytes.indexOf(BACKSLASH, from);
        if (backslash === -1 || backslash > quote) {
          i = quote;
          break;
        }
        // An escape inside the string, before what looked like its end.
        if (bytes[backslash + 1] !== LETTER_U) {
          from = backslash + 2; // \" \\ \n …: the next byte is taken
          continue;
        }
        const unit = hex4(bytes, backslash + 2);
        if (unit >= 0xd800 && unit <= 0xdbff) {
          // A high surrogate must be followed at once by an escaped low one.
          const low = bytes[backslash + 6] === BACKSLASH && bytes[backslash + 7] === LETTER_U ? hex4(bytes, backslash + 8) : -1;
          if (low < 0xdc00 || low > 0xdfff) return loneSurrogate(bytes, backslash);
          from = backslash + 12;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          return loneSurrogate(bytes, backslash);
        } else {
          from = backslash + 6;
        }
      }
      continue;
    }
    if (byte === 0x7b || byte === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) return `JSON nested deeper than ${MAX_JSON_DEPTH} levels (Herald's limit)`;
    } else if (byte === 0x7d || byte === 0x5d) {
      depth--;
    }
  }
  return undefined;
}

const loneSurrogate = (bytes: Buffer, at: number) =>
  `body has a lone surrogate escape (${String.fromCharCode(...bytes.subarray(at, at + 6))} at byte ${at}): not valid Unicode text`;

/** The value of 4 hex digits at `at`, or -1 (malformed escapes are JSON.parse's to report). */
function hex4(bytes: Buffer, at: number): number {
  if (at + 4 > bytes.length) return -1;
  let value = 0;
  for (let k = at; k < at + 4; k++) {
    const c = bytes[k]!;
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}
