// The layout promises of docs/architecture.md, checked on the tree itself: the pure core's floors
// import only downward (model ← read ← analyze ← render), nothing in the core or the CLI reaches
// vscode or the host, and the module map names every source file (and only files that exist).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const FLOORS = ['model', 'read', 'analyze', 'render'] as const;

function walk(dir: string, re: RegExp, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, re, out);
    else if (re.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const rel = (p: string): string => path.relative(ROOT, p).split(path.sep).join('/');

/** Every module specifier a file imports or re-exports (static, dynamic, require). */
function specifiers(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[2]);
  return out;
}

function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base + '.ts', base, path.join(base, 'index.ts')])
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  return undefined;
}

/** `model` / `read` / … for a file of the core, `host`, `cli`, or undefined. */
function zone(file: string): string | undefined {
  const r = rel(file);
  const core = /^src\/core\/([^/]+)\//.exec(r);
  if (core) return core[1];
  if (r.startsWith('src/host/') || r === 'src/extension.ts') return 'host';
  if (r.startsWith('src/cli/')) return 'cli';
  return undefined;
}

describe('architecture: the layout docs/architecture.md promises', () => {
  const sources = walk(path.join(ROOT, 'src'), /\.ts$/);

  it('the core has exactly the four floors model, read, analyze, render', () => {
    const dirs = fs.readdirSync(path.join(ROOT, 'src/core'), { withFileTypes: true })
      .filter(e => e.isDirectory()).map(e => e.name).sort();
    assert.deepEqual(dirs, [...FLOORS].sort());
    assert.deepEqual(fs.readdirSync(path.join(ROOT, 'src/core')).filter(n => n.endsWith('.ts')), [],
      'no loose modules beside the floors');
  });

  it('every import between floors points downward; the core and the CLI never reach vscode or the host', () => {
    const upward: string[] = [];
    let checked = 0;
    for (const f of sources) {
      const from = zone(f);
      if (from === undefined || from === 'host') continue;
      for (const spec of specifiers(f)) {
        if (spec === 'vscode') { upward.push(`${rel(f)} imports vscode`); continue; }
        const target = resolve(f, spec);
        if (target === undefined) continue;
        checked++;
        const to = zone(target);
        if (to === 'host' || (to === 'cli' && from !== 'cli')) { upward.push(`${rel(f)} → ${rel(target)}`); continue; }
        const a = FLOORS.indexOf(from as typeof FLOORS[number]);
        const b = FLOORS.indexOf(to as typeof FLOORS[number]);
        if (a >= 0 && b > a) upward.push(`${rel(f)} (${from}) → ${rel(target)} (${to})`);
      }
    }
    assert.ok(checked > 100, `only ${checked} relative imports resolved: the walk is broken`);
    assert.deepEqual(upward, []);
  });

  it('docs/architecture.md names every source file of src/ and media/, and every file it names exists', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
    const files = [...sources, ...walk(path.join(ROOT, 'media'), /\.ts$/)].map(rel);
    const missing = files.filter(f => !doc.includes('`' + f + '`'));
    assert.deepEqual(missing, [], 'add these to the module map in docs/architecture.md');
    const named = [...doc.matchAll(/`((?:src|media)\/[^`\s]+\.ts)`/g)].map(m => m[1]);
    const gone = named.filter(f => !fs.existsSync(path.join(ROOT, f)));
    assert.deepEqual(gone, [], 'docs/architecture.md names files that no longer exist');
  });
});
