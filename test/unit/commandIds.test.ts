// Every command id is defined once, in src/host/commands.ts (issue 14, "Host by feature"):
// package.json's contributes (commands, menus, keybindings, welcome views, walkthrough links and
// completion events) names exactly those ids, the palette hides exactly INTERNAL_COMMANDS, and
// src/host registers each id exactly once — through the constant, never a string literal.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS, INTERNAL_COMMANDS } from '../../src/host/commands';

const REPO = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
const ids = Object.values(COMMANDS) as string[];
const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

/** Every host source file (src/host/**, src/extension.ts). */
function hostSources(): string[] {
  const out: string[] = [path.join(REPO, 'src/extension.ts')];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push(p);
    }
  };
  walk(path.join(REPO, 'src/host'));
  return out;
}

/** `command:<id>` links in Markdown-ish text (welcome views, walkthrough steps). */
function commandLinks(text: string): string[] {
  return [...text.matchAll(/\(command:([A-Za-z0-9_.-]+)/g)].map(m => m[1]);
}

describe('command ids (src/host/commands.ts)', () => {
  it('are unique and all follow flowlens.<verb><Noun>', () => {
    assert.strictEqual(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^flowlens\.[a-z][A-Za-z]+$/);
  });

  it('match package.json contributes.commands exactly', () => {
    const declared: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);
    assert.strictEqual(new Set(declared).size, declared.length, 'a command is declared twice');
    assert.deepStrictEqual(sorted(declared), sorted(ids));
  });

  it('are the only flowlens commands in menus, keybindings, welcome views and the walkthrough', () => {
    const used: string[] = [];
    for (const entries of Object.values(pkg.contributes.menus as Record<string, { command?: string }[]>)) {
      for (const m of entries) if (m.command) used.push(m.command);
    }
    for (const k of pkg.contributes.keybindings ?? []) used.push(k.command);
    for (const w of pkg.contributes.viewsWelcome ?? []) used.push(...commandLinks(w.contents));
    for (const walk of pkg.contributes.walkthroughs ?? []) {
      for (const step of walk.steps) {
        used.push(...commandLinks(step.description ?? ''));
        for (const ev of step.completionEvents ?? []) if (ev.startsWith('onCommand:')) used.push(ev.slice('onCommand:'.length));
      }
    }
    assert.ok(used.length > 20, `found ${used.length} references`);
    const ours = used.filter(c => c.startsWith('flowlens.'));
    const unknown = ours.filter(c => !ids.includes(c));
    assert.deepStrictEqual(unknown, [], 'package.json names commands that commands.ts does not define');
    // Links to anything else are VS Code's own (the walkthrough opens the Flowlens side bar).
    for (const c of used.filter(x => !x.startsWith('flowlens.'))) assert.match(c, /^(workbench|vscode)\./);
  });

  it('hide exactly INTERNAL_COMMANDS from the command palette', () => {
    const hidden = pkg.contributes.menus.commandPalette.filter((m: { when: string }) => m.when === 'false').map((m: { command: string }) => m.command);
    assert.deepStrictEqual(sorted(hidden), sorted(INTERNAL_COMMANDS));
  });

  it('are each registered exactly once in src/host, by constant', () => {
    const registered: string[] = [];
    for (const file of hostSources()) {
      const text = fs.readFileSync(file, 'utf8');
      const rel = path.relative(REPO, file);
      assert.doesNotMatch(text, /registerCommand\(\s*['"`]/, `${rel} registers a command by string literal`);
      for (const m of text.matchAll(/registerCommand\(\s*COMMANDS\.(\w+)/g)) registered.push(m[1]);
    }
    const twice = registered.filter((k, i) => registered.indexOf(k) !== i);
    assert.deepStrictEqual(twice, [], 'registered more than once');
    assert.deepStrictEqual(sorted(registered), sorted(Object.keys(COMMANDS)));
  });

  it('appear as string literals nowhere else in src', () => {
    const offenders: string[] = [];
    const files = [...hostSources(), path.join(REPO, 'src/cli/main.ts')].filter(f => !f.endsWith(path.join('src', 'host', 'commands.ts')) && fs.existsSync(f));
    for (const file of files) {
      // Code only: doc comments may name a command (`flowlens.openLocation`).
      const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      for (const id of ids) if (text.includes(`'${id}'`) || text.includes(`"${id}"`) || text.includes(`\`${id}\``)) offenders.push(`${path.relative(REPO, file)}: ${id}`);
    }
    assert.deepStrictEqual(offenders, []);
  });
});
