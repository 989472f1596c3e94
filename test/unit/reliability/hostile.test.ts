/**
 * Hostile strings and credential shapes (test/fixtures/hostile/corpus.json) placed in every field
 * of a v1 trace (test/fixtures/hostile/generate.js → .autodev/trace.jsonl), read by the CLI
 * (dist/cli.js — run `npm run build` first) and by ask.md (src/core/render/ask.ts):
 * - human CLI output carries no raw ESC, C0/C1 control, bidi or zero-width character;
 * - `--json` output carries none of the credential values (unless `--no-redact`);
 * - ask.md carries none of the credential values, no live markdown image/link to the trace's URLs,
 *   no raw control/bidi characters, and fences the trace text.
 * See docs/reliability.md.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildAskMd } from '../../../src/core/render/ask';
import { Redactor } from '../../../src/core/render/egress/redact';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { REPO, tmpDir } from './helpers';

const HOSTILE = path.join(REPO, 'test', 'fixtures', 'hostile');
const CLI = path.join(REPO, 'dist', 'cli.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const gen = require(path.join(HOSTILE, 'generate.js')) as {
  corpus(): { kind: 'hostile' | 'credentials'; id: string; text: string; secret?: string }[];
  traceText(): string;
};
const CORPUS = gen.corpus();
const CREDS = CORPUS.filter((e) => e.kind === 'credentials') as { id: string; text: string; secret: string }[];

/** Characters that change what a terminal or editor shows. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/u;

function cli(args: string[]): { out: string; err: string } {
  try {
    const out = execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    return { out, err: '' };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; status?: number };
    return { out: x.stdout ?? '', err: `exit ${x.status}: ${x.stderr ?? ''}` };
  }
}

/** JSON paths (keys as `.<key>` when the secret is in a key) whose string holds one of the secrets. */
function leaks(v: unknown, secrets: { id: string; secret: string }[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const hit = (p: string, s: string): void => {
    for (const c of secrets) {
      if (!s.includes(c.secret)) continue;
      if (!out.has(p)) out.set(p, new Set());
      (out.get(p) as Set<string>).add(c.id);
    }
  };
  const walk = (x: unknown, p: string): void => {
    if (typeof x === 'string') hit(p, x);
    else if (Array.isArray(x)) for (const y of x) walk(y, `${p}[]`);
    else if (x && typeof x === 'object') {
      for (const [k, y] of Object.entries(x)) {
        hit(`${p}.<key>`, k);
        walk(y, /^[\w-]+$/.test(k) ? `${p}.${k}` : `${p}.<hostile key>`);
      }
    }
  };
  walk(v, '');
  return out;
}

/** The lines of a markdown text that are not inside a fenced code block (CommonMark fences). */
function outsideFences(md: string): string[] {
  const out: string[] = [];
  let open: string | undefined;
  for (const l of md.split('\n')) {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(l);
    if (open === undefined) {
      if (m) open = m[1];
      else out.push(l);
    } else if (m && m[1][0] === open[0] && m[1].length >= open.length && l.trim() === m[1]) open = undefined;
  }
  return out;
}

const describeLeaks = (m: Map<string, Set<string>>): string =>
  [...m].map(([p, ids]) => `${p}: ${[...ids].slice(0, 4).join(', ')}${ids.size > 4 ? ` (+${ids.size - 4})` : ''}`).join('\n  ');

/** Fields the CLI documents as redacted (`--no-redact`: evidence/reason), plus exception text. */
const REDACTED_FIELDS = /(\.reason|\.evidence|\.message|\.exception)/;

describe('reliability: hostile strings and credentials', function () {
  this.timeout(300_000);
  const COMMANDS = ['runs', 'flows', 'failures', 'metrics'];
  const human = new Map<string, string>();
  const json = new Map<string, unknown>();

  before(() => {
    // A skipped suite passes silently in CI: a missing build is a failure, with the fix in it.
    assert.ok(fs.existsSync(CLI), `${CLI} is missing: run npm run build first`);
    for (const c of COMMANDS) {
      const h = cli([c, HOSTILE, '--run', 'all']);
      human.set(c, h.out + h.err);
      const j = cli([c, HOSTILE, '--run', 'all', '--json']);
      assert.equal(j.err, '', `${c} --json failed: ${j.err.slice(0, 300)}`);
      json.set(c, JSON.parse(j.out));
    }
  });

  it('the committed trace is what generate.js writes (one run per corpus entry, every line readable)', async () => {
    assert.equal(fs.readFileSync(path.join(HOSTILE, '.autodev', 'trace.jsonl'), 'utf8'), gen.traceText(), 'run node test/fixtures/hostile/generate.js');
    const ws = new TraceWorkspace(HOSTILE, { final: true, now: () => Date.parse('2026-11-23T00:00:00Z') });
    await ws.load();
    assert.deepEqual(ws.malformed(), []);
    assert.equal(ws.runs().length, CORPUS.length);
    assert.ok(CORPUS.length >= 50 && CREDS.length >= 20);
  });

  it('CLI human output (runs, flows, failures, metrics) has no raw ESC, control, bidi or zero-width characters', () => {
    for (const c of COMMANDS) {
      const out = human.get(c) as string;
      assert.ok(out.length > 1000, `${c} printed the hostile runs`);
      const m = UNSAFE.exec(out);
      assert.equal(m, null, `${c}: raw U+${m ? m[0].charCodeAt(0).toString(16).padStart(4, '0') : ''} at ${m?.index}: ${JSON.stringify(out.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`);
    }
  });

  it('CLI --json: the redacted fields (reason, evidence, exception) carry none of the credential values', () => {
    const bad: string[] = [];
    for (const c of COMMANDS) {
      const l = leaks(json.get(c), CREDS);
      const inRedacted = new Map([...l].filter(([p]) => REDACTED_FIELDS.test(p)));
      if (inRedacted.size) bad.push(`${c}:\n  ${describeLeaks(inRedacted)}`);
    }
    assert.deepEqual(bad, [], `credentials in redacted fields:\n${bad.join('\n')}`);
  });

  it('CLI --json: no field at all carries a credential value (run ids, flow names, steps, file paths, app/mode too)', () => {
    const bad: string[] = [];
    for (const c of COMMANDS) {
      const l = leaks(json.get(c), CREDS);
      if (l.size) bad.push(`${c}:\n  ${describeLeaks(l)}`);
    }
    assert.deepEqual(bad, [], `credentials printed by flowlens --json:\n${bad.join('\n')}`);
  });

  it('Redactor.identifier (for identifier fields: run id, app, mode, flow, step, file, function) removes every credential value', () => {
    const red = new Redactor();
    const bad: string[] = [];
    for (const c of CREDS) {
      for (const id of [c.text, `run-${c.id}-${c.text}`, `hostile/${c.id}/${c.text}`, `hostile/${c.id}/${c.text}/child`]) {
        if (red.identifier(id).includes(c.secret)) bad.push(`${c.id}: ${JSON.stringify(red.identifier(id)).slice(0, 120)}`);
      }
    }
    assert.deepEqual(bad, []);
    for (const e of CORPUS.filter((x) => x.kind === 'hostile')) assert.equal(red.identifier(`run-${e.id}-${e.text}`), `run-${e.id}-${e.text}`, `${e.id}: a non-credential identifier is kept as it is`);
  });

  it('CLI --json --no-redact does show them (the check above is meaningful)', () => {
    const j = cli(['failures', HOSTILE, '--run', 'all', '--json', '--no-redact']);
    const l = leaks(JSON.parse(j.out), CREDS);
    const found = new Set([...l.values()].flatMap((s) => [...s]));
    assert.equal(found.size, CREDS.length);
  });

  it('ask.md for every run: no credential value, no live beacon/link, no raw control or bidi character, trace text fenced', async () => {
    const ws = new TraceWorkspace(HOSTILE, { final: true, now: () => Date.parse('2026-11-23T00:00:00Z') });
    await ws.load();
    const problems: string[] = [];
    const dir = tmpDir('flowlens-rel-ask-');
    try {
      for (const run of ws.runs()) {
        const md = buildAskMd(run, { budgetBytes: 64 * 1024 });
        const entry = CORPUS.find((e) => run.id === `run-${e.id}-${e.text}`);
        const label = entry?.id ?? run.id.slice(0, 40);
        for (const c of CREDS) if (md.includes(c.secret)) problems.push(`${label}: contains the ${c.id} secret`);
        if (/!\[[^\]]*\]\(/.test(md)) problems.push(`${label}: live markdown image`);
        if (/\]\((?:javascript|command|https?|file):/i.test(md)) problems.push(`${label}: live markdown link`);
        if (/(^|[^`])\bhttps?:\/\/evil/i.test(md)) problems.push(`${label}: live URL to the beacon host`);
        const flat = md.replace(/\n/g, ' ');
        const u = UNSAFE.exec(flat);
        if (u) problems.push(`${label}: raw U+${u[0].charCodeAt(0).toString(16).padStart(4, '0')} in ${JSON.stringify(flat.slice(Math.max(0, u.index - 60), u.index + 20))}`);
        if (!/^(`{3,}|~{3,})/m.test(md)) problems.push(`${label}: no fenced block`);
        for (const l of outsideFences(md)) if (/^ {0,3}#{1,6} IGNORE PREVIOUS INSTRUCTIONS/.test(l)) problems.push(`${label}: injected heading outside a fence: ${l}`);
        fs.writeFileSync(path.join(dir, `${label.replace(/[^\w-]/g, '_')}.md`), md);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(problems, []);
  });
});
