/**
 * The egress policy: one function per kind of surface that trace-derived text can leave through.
 * Every string that came from a trace, a store, a YAML file or a file path passes through one of
 * these before it reaches a UI element, a prompt, the CLI or a file (docs/security.md has the
 * surface table). Each function is total (any input, never throws) and does, in order:
 *
 * 1. **redaction** — the given {@link Redactor} (key-, value- and shape-based; a run-scoped one
 *    also scrubs every value that was redacted anywhere in that run), default rules otherwise;
 * 2. **control stripping** — ANSI/C0/C1, bidi overrides, zero-width and other invisible
 *    characters ({@link stripControl});
 * 3. **the surface's escaping** — what makes the text inert where it lands.
 *
 * | surface | function | escaping |
 * |---|---|---|
 * | tree label/description, status bar, quick pick, CodeLens, diagnostic message | {@link forLabel} | one line, `$(` codicon syntax broken, length cap |
 * | notification message (`show*Message`) | {@link forNotification} | as a label, and `[`/`]` replaced so no `[text](command:…)` link can form |
 * | Markdown (tooltips, hovers, chat responses) | {@link forMarkdown} | every Markdown metacharacter backslash-escaped; `://` and scheme colons broken so no autolink forms; use with `isTrusted: false` |
 * | prompts, Markdown files (ask.md, summary.md, copilot_init.md), LM tool results, chat queries | {@link forPromptText} / {@link neutralizeLinks} / {@link fenced} | links, images, reference definitions, autolinks and raw HTML broken; blocks inside a fence longer than any backtick run |
 * | terminal (CLI human output) | {@link forTerminal} | one line, no escape sequence |
 * | JSON (CLI `--json`, LM tool results, webview model) | {@link forJsonValue} | redacted deep copy with depth/size limits |
 */
import { Redactor, stripControl } from './redact';

const DEFAULT = new Redactor();

/** Default cap for one label (characters); longer text ends with `…`. */
export const LABEL_MAX = 300;

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

/** `s` cut to `max` characters with a trailing `…` (never splitting a surrogate pair). */
export function cap(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = max - 1;
  const c = s.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return `${s.slice(0, cut)}…`;
}

/**
 * Plain one-line text for labels, descriptions, status bar items, quick picks, CodeLens titles
 * and diagnostic messages: redacted (identifier rules: ordinary ids unchanged), control/bidi
 * stripped, whitespace collapsed, `$(` broken so no codicon renders, capped at `max` characters.
 */
export function forLabel(v: unknown, red: Redactor = DEFAULT, max = LABEL_MAX): string {
  const s = stripControl(red.identifier(stripControl(text(v))))
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\$\(/g, '$\ufe59');
  // `$(` → `$﹙` (small left parenthesis): VS Code's `$(icon)` parser no longer sees a codicon,
  // and unlike a zero-width joiner it survives a later stripControl.
  return cap(s, max);
}

/**
 * Text for a notification message. VS Code turns `[label](https://…|command:…|file:…)` in a
 * notification into a link that runs on click (even in Restricted Mode), so the brackets of trace
 * text are replaced by look-alikes (`⁅ ⁆`) and no link can form, whatever follows.
 */
export function forNotification(v: unknown, red: Redactor = DEFAULT, max = 200): string {
  return forLabel(v, red, max).replace(/\[/g, '\u2045').replace(/\]/g, '\u2046');
}

const MD_META = /[\\`*_{}[\]()<>#+\-.!|~^&:"'=@$%]/g;

/**
 * Text inside Markdown (a `MarkdownString` with `isTrusted: false`, a chat response part): every
 * Markdown metacharacter is backslash-escaped, so no emphasis, link, image, HTML, autolink
 * (`https:`/`command:` lose their meaning once the colon is escaped) or code span can form.
 * Newlines become spaces unless `multiline`.
 */
export function forMarkdown(v: unknown, red: Redactor = DEFAULT, opts: { max?: number; multiline?: boolean } = {}): string {
  let s = red.string(stripControl(text(v)));
  if (!opts.multiline) s = s.replace(/\s+/g, ' ').trim();
  s = cap(s, opts.max ?? 2000);
  return s.replace(MD_META, (c) => `\\${c}`).replace(/\n/g, '  \n');
}

/**
 * Trace text inside a prompt or a Markdown file written for a model or a person (ask.md,
 * summary.md, copilot_init.md, a chat query, an LM tool result): redacted, control characters
 * stripped, then {@link neutralizeLinks}; one line unless `multiline`.
 */
export function forPromptText(v: unknown, red: Redactor = DEFAULT, opts: { multiline?: boolean } = {}): string {
  let s = red.string(stripControl(text(v)));
  if (!opts.multiline) s = s.replace(/\s+/g, ' ').trim();
  return neutralizeLinks(s);
}

/**
 * THE link neutraliser for already-redacted text that lands in Markdown (every prompt, .md file
 * and LM tool result; ask.ts and askArtifacts.ts use it): whatever renderer shows the text —
 * CommonMark, GFM, with raw HTML on — no link, image or HTML element can form from it:
 * - inline links and images: `![` → `! [`, `](` → `] (`;
 * - reference links and reference definitions: `][` → `] [`, `]:` → `] :` (a `[1]: command:x`
 *   line, at any indentation or inside a block quote, is no definition any more);
 * - autolinks and raw HTML: `<` → `‹` (no `<command:x>`, `<img onerror>`, `<script>`), except
 *   in Python's attribute-less pseudo-names (`<module>`, `<lambda>`, `<dictcomp>`, …: an
 *   unknown element without attributes renders nothing and links nowhere); `>` alone opens
 *   neither a tag nor a link and is kept (`=>`, `>=`);
 * - bare URLs (GFM linkify): `http(s)://` → `hxxp(s)://`, any other `scheme://` → `scheme:/ /`,
 *   `mailto:`/`javascript:`/`vbscript:`/`command:` → `mailto[:]` … (a bare domain or e-mail
 *   address may still be linkified by a GFM renderer: a web or mail link, never a command).
 * Idempotent, total, linear.
 */
export function neutralizeLinks(s: string): string {
  return s
    .replace(/!\[/g, '! [')
    .replace(/\]\(/g, '] (')
    .replace(/\]\[/g, '] [')
    .replace(/\]:/g, (m: string, at: number, all: string) => (keptRedacted(all, at) ? m : '] :'))
    .replace(/\b(h)(ttps?):\/\//gi, (_m, h: string, rest: string) => `${h}x${rest.slice(1).replace(/^t/i, 'x')}://`)
    .replace(/\b(?!hx{2}ps?:)([a-z][a-z0-9+.-]{0,30}):\/\//gi, '$1:/ /')
    .replace(/\b(mailto|javascript|vbscript|command):/gi, '$1[:]')
    .replace(/<(?!(?:module|lambda|dictcomp|listcomp|setcomp|genexpr|string|stdin|locals|unknown)>)/g, '\u2039');
}

/**
 * `[REDACTED]:` inside a word (`orders/[REDACTED]: 1 instance`) stays as written: only a `[` that
 * starts a line (after indentation or `>`) can open a reference definition.
 */
function keptRedacted(all: string, at: number): boolean {
  const start = at - 9; // '[REDACTED'.length
  return start > 0 && all.startsWith('[REDACTED', start) && /[^\s>]/.test(all[start - 1]);
}

/**
 * A fenced code block holding `body` (already redacted by the caller): the fence is one backtick
 * longer than the longest backtick run inside, so the body can never close it.
 */
export function fenced(body: string, lang = ''): string {
  const clean = stripControl(body);
  const longest = Math.max(2, ...(clean.match(/`+/g) ?? []).map((s) => s.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${clean}\n${fence}`;
}

/**
 * One line for the terminal (CLI human output) or the log channel: redacted (default rules when
 * `red` is omitted; `null` keeps the text as written, for `--no-redact`), no escape sequence or
 * control character.
 */
export function forTerminal(v: unknown, red: Redactor | null = DEFAULT, max = Infinity): string {
  const raw = stripControl(text(v));
  const s = (red ? red.identifier(raw) : raw).replace(/\s+/g, ' ').trim();
  return max === Infinity ? s : cap(s, max);
}

/** A redacted, depth- and size-limited deep copy for JSON surfaces (`--json`, LM tools, webview). */
export function forJsonValue(v: unknown, red: Redactor = DEFAULT): unknown {
  return red.value(v);
}
