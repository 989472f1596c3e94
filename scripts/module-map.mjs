// Prints the module map of docs/architecture.md from the tree: one row per source file of src/
// and media/, described by the first sentence of the file's header comment. Regenerate with
//   node scripts/module-map.mjs > /tmp/map.md   and paste between the module-map markers;
// test/unit/architecture.test.ts fails when a file is missing from the doc or the doc names a
// file that is gone.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir, out = []) {
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function summary(file) {
  const text = readFileSync(file, 'utf8');
  let m = /^\s*(?:\/\/[^\n]*\n)*\s*\/\*\*?([\s\S]*?)\*\//.exec(text);
  let body = '';
  const lead = /^(?:\s*\/\/[^\n]*\n)+/.exec(text);
  if (lead && (!m || lead.index === 0)) body = lead[0].replace(/^\s*\/\/ ?/gm, ' ');
  if (!body.trim() && m) body = m[1].replace(/^\s*\* ?/gm, ' ');
  body = body.replace(/\s+/g, ' ').trim();
  const cut = body.search(/(?<=[a-z)`]\.)\s/);
  const first = (cut > 0 ? body.slice(0, cut) : body).replace(/\|/g, '\\|');
  return first.length > 160 ? first.slice(0, 157) + '…' : first;
}

let floor = '';
const rows = [];
for (const f of [...walk('src'), ...walk('media')]) {
  const group = f.split('/').slice(0, f.startsWith('src/core/') ? 3 : 2).join('/');
  if (group !== floor) { floor = group; rows.push(`| **${group}/** | |`); }
  rows.push(`| \`${f}\` | ${summary(f)} |`);
}
console.log('| module | what it is |\n|---|---|\n' + rows.join('\n'));
