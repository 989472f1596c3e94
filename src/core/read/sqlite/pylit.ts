/**
 * A small, safe parser for Python literals as written by `repr()` (formats.md §2, the older
 * flowscribe sink layout stores `evidence`/`data` as Python reprs). Handles dict, list, tuple,
 * set, str (with escapes and r/b/u prefixes), int, float (incl. nan/inf), True/False/None.
 * Never evaluates anything: text it does not understand is reported, not guessed.
 */

export type PyParse = { ok: true; value: unknown } | { ok: false; error: string };

class PyParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): PyParse {
    try {
      this.ws();
      const v = this.value(0);
      this.ws();
      if (this.i !== this.s.length) return this.fail(`unexpected ${JSON.stringify(this.s[this.i])} at ${this.i}`);
      return { ok: true, value: v };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }

  private fail(msg: string): never {
    throw new Error(msg);
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private value(depth: number): unknown {
    if (depth > 200) this.fail('nested too deeply');
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail('unexpected end');
    if (c === '{') return this.dictOrSet(depth);
    if (c === '[') return this.seq(']', depth);
    if (c === '(') {
      const v = this.seq(')', depth);
      return v;
    }
    if (c === "'" || c === '"') return this.str(false);
    const pre = /^([rRbBuU]|[rR][bB]|[bB][rR])(?=['"])/.exec(this.s.slice(this.i, this.i + 3));
    if (pre) {
      this.i += pre[1].length;
      return this.str(/r/i.test(pre[1]));
    }
    const num = /^[-+]?(?:(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?|inf|nan)(?![\w.])/.exec(this.s.slice(this.i, this.i + 400));
    if (num && /\d|inf|nan/.test(num[0])) {
      this.i += num[0].length;
      const t = num[0].replace(/_/g, '');
      if (/inf$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
      if (/nan$/.test(t)) return NaN;
      if (/^[-+]?0[xob]/i.test(t)) this.fail(`unsupported number ${t}`);
      return Number(t);
    }
    const word = /^[A-Za-z_][\w.]*/.exec(this.s.slice(this.i, this.i + 64));
    if (word) {
      if (word[0] === 'True') return (this.i += 4), true;
      if (word[0] === 'False') return (this.i += 5), false;
      if (word[0] === 'None') return (this.i += 4), null;
      this.fail(`not a literal: ${word[0]} at ${this.i}`);
    }
    return this.fail(`unexpected ${JSON.stringify(c)} at ${this.i}`);
  }

  private seq(close: string, depth: number): unknown[] {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value(depth + 1));
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) this.fail(`expected , or ${close} at ${this.i}`);
    }
  }

  private dictOrSet(depth: number): unknown {
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return {};
    }
    const first = this.value(depth + 1);
    this.ws();
    if (this.s[this.i] !== ':') {
      // a set: {1, 2} → array
      const out = [first];
      for (;;) {
        this.ws();
        if (this.s[this.i] === '}') return this.i++, out;
        if (this.s[this.i] !== ',') this.fail(`expected , or } at ${this.i}`);
        this.i++;
        this.ws();
        if (this.s[this.i] === '}') return this.i++, out;
        out.push(this.value(depth + 1));
      }
    }
    const obj: Record<string, unknown> = {};
    let key = first;
    for (;;) {
      this.ws();
      if (this.s[this.i] !== ':') this.fail(`expected : at ${this.i}`);
      this.i++;
      const v = this.value(depth + 1);
      const k = typeof key === 'string' ? key : JSON.stringify(key) ?? String(key);
      Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        this.ws();
      }
      if (this.s[this.i] === '}') {
        this.i++;
        return obj;
      }
      key = this.value(depth + 1);
    }
  }

  private str(raw: boolean): string {
    const q = this.s[this.i];
    const triple = this.s.startsWith(q + q + q, this.i);
    const end = triple ? q + q + q : q;
    this.i += end.length;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail('unterminated string');
      if (this.s.startsWith(end, this.i)) {
        this.i += end.length;
        return out;
      }
      const c = this.s[this.i];
      if (c === '\\') {
        const n = this.s[this.i + 1];
        if (raw) {
          out += c + (n ?? '');
          this.i += 2;
          continue;
        }
        this.i += 2;
        switch (n) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case '0': out += '\0'; break;
          case 'a': out += '\x07'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'v': out += '\v'; break;
          case '\\': case "'": case '"': out += n; break;
          case '\n': break;
          case 'x': out += this.hex(2); break;
          case 'u': out += this.hex(4); break;
          case 'U': out += this.hex(8); break;
          default: out += '\\' + (n ?? ''); break;
        }
        continue;
      }
      if (!triple && c === '\n') this.fail('newline in string');
      out += c;
      this.i++;
    }
  }

  private hex(n: number): string {
    const h = this.s.slice(this.i, this.i + n);
    if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== n) this.fail(`bad \\x/\\u escape at ${this.i}`);
    this.i += n;
    return String.fromCodePoint(parseInt(h, 16));
  }
}

/** Parse a Python literal (repr) safely. `{ok: false}` for anything beyond plain literals. */
export function parsePythonLiteral(text: string): PyParse {
  return new PyParser(text).parse();
}
