/**
 * Our own wording for a line that is not valid JSON. V8's `JSON.parse` messages quote the input
 * (`Unexpected token 'p', "password=hunter2" is not valid JSON`), and a malformed-line reason is
 * shown in the Problems view, the CLI and summaries — so a secret on a broken line would leak
 * through the error text. {@link jsonErrorReason} describes the first error by kind and column
 * only, never by content. It scans the line once (iterative: no recursion on deep nesting).
 */

/** What is wrong, and where (0-based UTF-16 offset). */
export interface JsonErrorAt {
  at: number;
  what: string;
}

const WS = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const DIGIT = (c: number): boolean => c >= 0x30 && c <= 0x39;
const HEX = (c: number): boolean => DIGIT(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** The first error in `t` as strict JSON (RFC 8259), or undefined when it is valid JSON. */
export function findJsonError(t: string): JsonErrorAt | undefined {
  const n = t.length;
  let i = 0;
  // Open containers: true = object, false = array.
  const stack: boolean[] = [];
  const ws = (): void => {
    while (i < n && WS(t.charCodeAt(i))) i++;
  };
  const err = (what: string, at = i): JsonErrorAt => ({ at, what: i >= n && at >= n ? 'unexpected end of line' : what });
  const str = (): JsonErrorAt | undefined => {
    const start = i++;
    while (i < n) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return { at: i, what: 'control character inside a string' };
      if (c === 0x5c) {
        const e = t.charCodeAt(i + 1);
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) if (!HEX(t.charCodeAt(i + k))) return { at: i, what: 'bad \\u escape in a string' };
          i += 6;
          continue;
        }
        if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          i += 2;
          continue;
        }
        return { at: i, what: 'bad escape in a string' };
      }
      i++;
    }
    return { at: start, what: 'unterminated string' };
  };
  const num = (): JsonErrorAt | undefined => {
    const start = i;
    if (t.charCodeAt(i) === 0x2d) i++;
    if (t.charCodeAt(i) === 0x30) i++;
    else if (DIGIT(t.charCodeAt(i))) while (DIGIT(t.charCodeAt(i))) i++;
    else return { at: start, what: 'bad number' };
    if (t.charCodeAt(i) === 0x2e) {
      i++;
      if (!DIGIT(t.charCodeAt(i))) return { at: start, what: 'bad number' };
      while (DIGIT(t.charCodeAt(i))) i++;
    }
    if (t.charCodeAt(i) === 0x65 || t.charCodeAt(i) === 0x45) {
      i++;
      if (t.charCodeAt(i) === 0x2b || t.charCodeAt(i) === 0x2d) i++;
      if (!DIGIT(t.charCodeAt(i))) return { at: start, what: 'bad number' };
      while (DIGIT(t.charCodeAt(i))) i++;
    }
    return undefined;
  };
  type State = 'value' | 'key' | 'after';
  let state: State = 'value';
  for (;;) {
    ws();
    const c = t.charCodeAt(i);
    if (state === 'value') {
      if (i >= n) return err('unexpected end of line');
      if (c === 0x7b || c === 0x5b) {
        const obj = c === 0x7b;
        i++;
        ws();
        if (t.charCodeAt(i) === (obj ? 0x7d : 0x5d)) {
          i++;
          state = 'after';
        } else {
          stack.push(obj);
          state = obj ? 'key' : 'value';
        }
        continue;
      }
      let e: JsonErrorAt | undefined;
      if (c === 0x22) e = str();
      else if (c === 0x2d || DIGIT(c)) e = num();
      else if (t.startsWith('true', i)) i += 4;
      else if (t.startsWith('false', i)) i += 5;
      else if (t.startsWith('null', i)) i += 4;
      else return err('unexpected character');
      if (e) return e;
      state = 'after';
      continue;
    }
    if (state === 'key') {
      if (c !== 0x22) return err('expected a property name in double quotes');
      const e = str();
      if (e) return e;
      ws();
      if (t.charCodeAt(i) !== 0x3a) return err("expected ':' after a property name");
      i++;
      state = 'value';
      continue;
    }
    // after a value
    if (stack.length === 0) return i < n ? err('unexpected text after the value') : undefined;
    const obj = stack[stack.length - 1];
    if (c === 0x2c) {
      i++;
      state = obj ? 'key' : 'value';
    } else if (c === (obj ? 0x7d : 0x5d)) {
      i++;
      stack.pop();
    } else return err(obj ? "expected ',' or '}' after a property value" : "expected ',' or ']' after an array element");
  }
}

/**
 * What is wrong with a line that is not valid JSON, without quoting it:
 * `unexpected character at column 12` (1-based column).
 */
export function jsonErrorDetail(text: string): string {
  const e = findJsonError(text);
  return e ? `${e.what} at column ${Math.min(e.at, text.length) + 1}` : 'unreadable JSON';
}

/** The malformed-line reason: `not valid JSON (unexpected character at column 12)`. */
export function jsonErrorReason(text: string): string {
  return `not valid JSON (${jsonErrorDetail(text)})`;
}
