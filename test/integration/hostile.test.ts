// Hostile strings in the real extension host (docs/reliability.md): a copy of
// test/fixtures/hostile (one flowscribe v1 run per corpus entry, the entry's text in every field)
// is put inside the test workspace (`hostile-fixture/.autodev/`, found by discovery like any
// nested `.autodev/`; the in-host runner opens one folder and cannot enter a multi-root
// workspace), plus a run folder whose flows start and fail on the lines of hostile_app.py, so
// CodeLens and Problems show the hostile text too. Checked: Runs and Failures tree items (labels,
// descriptions, tooltips, commands), CodeLens titles, diagnostics, and ask.md/summary.md written
// by flowlens.generateAskPrompt. Hover text of the failure decorations is not reachable from the
// API. Afterwards the copy is removed and every folder re-read, for the test files that follow.
import * as assert from 'assert';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import * as vscode from 'vscode';
import type { FailureNode } from '../../src/views/failures';
import type { TreeNode } from '../../src/views/flowTree';
import type { ViewsApi } from '../../src/views/index';
import { DIAGNOSTIC_SOURCE, GENERATE_ASK_PROMPT } from '../../src/views/constants';

const EXTENSION_ID = 'flowlens.flowlens';
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 30000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Characters that change what an editor shows (controls, bidi, zero-width, line separators). */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const show = (s: string, i: number) => JSON.stringify(s.slice(Math.max(0, i - 30), i + 30));
const unsafeAt = (s: string): string | undefined => {
  const m = UNSAFE.exec(s);
  return m ? `raw U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} in ${show(s, m.index)}` : undefined;
};

/** Lines of markdown outside fenced code blocks (CommonMark fences). */
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

/** What is wrong with a tooltip as rendered markdown: trust, HTML, live command/script links, images. */
function markdownProblems(md: vscode.MarkdownString): string[] {
  const out: string[] = [];
  if (md.isTrusted) out.push(`isTrusted is ${JSON.stringify(md.isTrusted)}`);
  if (md.supportHtml) out.push('supportHtml is on');
  for (const l of outsideFences(md.value)) {
    // An unescaped `![` starts an image; `](x:` or `<x:` a link (escaped forms are `\!\[`, `\]\(`).
    if (/(^|[^\\])!\[/.test(l)) out.push(`live image syntax: ${JSON.stringify(l.slice(0, 120))}`);
    if (/(^|[^\\])\]\(\s*<?\s*(command|javascript|vbscript|data):/i.test(l)) out.push(`live link target: ${JSON.stringify(l.slice(0, 120))}`);
    if (/(^|[^\\])<(command|javascript|vbscript|data):/i.test(l)) out.push(`autolink: ${JSON.stringify(l.slice(0, 120))}`);
    if (/^\s*\[[^\]]*\]:\s*(command|javascript):/i.test(l)) out.push(`link reference definition: ${JSON.stringify(l.slice(0, 120))}`);
  }
  return out;
}

function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : item.label?.label ?? '';
}

type Entry = { kind: 'hostile' | 'credentials'; id: string; text: string; secret?: string };

describe('hostile workspace (every surface)', function () {
  this.timeout(180000);
  let api: ViewsApi;
  let folder: string;
  let hostileIds: Set<string>;
  let latestFile: string | undefined;
  let savedLatest: { link?: string; text?: string } = {};
  let folderKey: string;
  let corpus: Entry[];
  const CODE_RUN = '20261122T120000Z-hostile-code';
  const APP = 'hostile_app.py';

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    api = (await ext.activate()) as ViewsApi;
    await api.services.ready;
    const fixture = path.join(ext.extensionPath, 'test', 'fixtures', 'hostile');
    // generate.js is plain Node (the corpus reader shared with the unit suite), loaded at run time.
    const gen = createRequire(__filename)(path.join(fixture, 'generate.js')) as { corpus(): Entry[] };
    corpus = gen.corpus();

    const wsFolder = vscode.workspace.workspaceFolders![0];
    folderKey = wsFolder.uri.toString();
    folder = path.join(wsFolder.uri.fsPath, 'hostile-fixture');
    fs.rmSync(folder, { recursive: true, force: true });
    fs.cpSync(fixture, folder, { recursive: true });
    // A run whose flows start and fail on real lines, so CodeLens and diagnostics carry the text.
    fs.writeFileSync(path.join(folder, APP), corpus.map((e, i) => `def step_${i}():  # ${e.id}\n`).join(''));
    const lines: string[] = [];
    const ev = (type: string, k: number, fields: Record<string, unknown>) =>
      lines.push(JSON.stringify({ v: 1, event_type: type, run_id: CODE_RUN, timestamp: new Date(Date.UTC(2026, 10, 22, 12, 0, k)).toISOString(), ...fields }));
    ev('session_start', 0, { app: 'hostile-code' });
    corpus.forEach((e, i) => {
      const flow = `code/${e.id}/${e.text}`;
      ev('flow_start', 1, { flow, flow_id: `c-${i}`, step: e.text, file: `hostile-fixture/${APP}`, line: i + 1, function: e.text });
      ev('failure', 2, { flow, flow_id: `c-${i}`, step: e.text, failure_class: 'DATA.HOSTILE', reason: e.text, evidence: { [e.text]: e.text }, file: `hostile-fixture/${APP}`, line: i + 1, function: e.text, duration_ms: 5 });
    });
    ev('session_end', 3, { status: 'failed' });
    const runDir = path.join(folder, '.autodev', 'runs', CODE_RUN);
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, 'trace.jsonl'), lines.join('\n') + '\n');

    // Problems and decorations show the folder's latest run: point `.autodev/latest` at the code run.
    latestFile = path.join(wsFolder.uri.fsPath, '.autodev', 'latest');
    const st = fs.lstatSync(latestFile, { throwIfNoEntry: false });
    savedLatest = st?.isSymbolicLink() ? { link: fs.readlinkSync(latestFile) } : st ? { text: fs.readFileSync(latestFile, 'utf8') } : {};
    fs.rmSync(latestFile, { force: true });
    fs.writeFileSync(latestFile, CODE_RUN);

    await api.services.refresh(folderKey);
    hostileIds = new Set([...corpus.map(e => `run-${e.id}-${e.text}`), CODE_RUN]);
    await until('the hostile runs to load', () => {
      const ws = api.services.workspaces.get(folderKey);
      return !api.services.loading && ws && ws.runs().filter(r => hostileIds.has(r.id)).length === hostileIds.size;
    }, 120000);
  });

  after(async () => {
    fs.rmSync(folder, { recursive: true, force: true });
    if (latestFile) {
      fs.rmSync(latestFile, { force: true });
      if (savedLatest.link !== undefined) fs.symlinkSync(savedLatest.link, latestFile);
      else if (savedLatest.text !== undefined) fs.writeFileSync(latestFile, savedLatest.text);
    }
    // The next test files count the demo runs: re-read every folder and wait for it.
    (api.services as unknown as { reload(): void }).reload();
    await until('the demo folder to reload', () => {
      const ws = api.services.workspaces.get(folderKey);
      return !api.services.loading && ws && ws.runs().length > 0 && !ws.runs().some(r => hostileIds.has(r.id));
    }, 120000);
  });

  it('reads every hostile run', () => {
    const ws = api.services.workspaces.get(folderKey)!;
    assert.strictEqual(ws.runs().filter(r => hostileIds.has(r.id)).length, corpus.length + 1);
  });

  /** Every node of the Runs view, pages forced open (Show more). */
  function runsTree(): TreeNode[] {
    const out: TreeNode[] = [];
    const children = (node: TreeNode | undefined): TreeNode[] => {
      for (let i = 0; i < 50; i++) {
        const c = api.runsProvider.getChildren(node);
        const more = c.find(x => x.kind === 'more');
        if (!more || more.kind !== 'more') return c;
        api.runsProvider.showMore(more.ownerId);
      }
      return api.runsProvider.getChildren(node);
    };
    const walk = (node: TreeNode | undefined, depth: number): void => {
      if (depth < 0) return;
      for (const c of children(node)) { out.push(c); walk(c, depth - 1); }
    };
    walk(undefined, 8);
    return out;
  }

  function failuresTree(): FailureNode[] {
    const out: FailureNode[] = [];
    const walk = (node: FailureNode | undefined, depth: number): void => {
      if (depth < 0) return;
      for (const c of api.failuresProvider.getChildren(node) as FailureNode[]) { out.push(c); walk(c, depth - 1); }
    };
    walk(undefined, 6);
    return out;
  }

  function itemProblems(items: vscode.TreeItem[]): string[] {
    const bad: string[] = [];
    for (const item of items) {
      const label = labelOf(item);
      const where = JSON.stringify(label.slice(0, 60));
      const l = unsafeAt(label);
      if (l) bad.push(`label ${where}: ${l}`);
      if (typeof item.description === 'string') {
        const d = unsafeAt(item.description);
        if (d) bad.push(`description of ${where}: ${d}`);
      }
      if (item.tooltip instanceof vscode.MarkdownString) {
        for (const p of markdownProblems(item.tooltip)) bad.push(`tooltip of ${where}: ${p}`);
      }
      if (item.command && !/^flowlens\./.test(item.command.command)) bad.push(`command of ${where}: ${item.command.command}`);
    }
    return bad;
  }

  /** "N problem(s)", then how many of each kind (field + character), then a few examples. */
  const summarise = (bad: string[]) => {
    const kinds = new Map<string, number>();
    for (const b of bad) {
      const k = b.replace(/"(?:[^"\\]|\\.)*"/g, '…').replace(/ in …$/, '').replace(/line \d+/, 'line N');
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    return `${bad.length} problem(s): ${[...kinds].map(([k, n]) => `${n}× ${k}`).join('; ')}\n  e.g. ${bad.slice(0, 6).join('\n  ')}`;
  };

  it('Runs view: labels and descriptions are plain text; tooltips untrusted, no HTML, no live links or images', () => {
    const nodes = runsTree().filter(n => 'runId' in n && hostileIds.has(n.runId));
    assert.ok(nodes.length > corpus.length * 3, `walked ${nodes.length} nodes`);
    const bad = itemProblems(nodes.map(n => api.runsProvider.getTreeItem(n)));
    assert.deepStrictEqual(bad, [], summarise(bad));
  });

  it('Failures view: the same for every group and failure', () => {
    const items = failuresTree().map(n => api.failuresProvider.getTreeItem(n));
    assert.ok(items.length > corpus.length, `walked ${items.length} items`);
    const bad = itemProblems(items);
    assert.deepStrictEqual(bad, [], summarise(bad));
  });

  it('CodeLens titles on the traced lines are plain text and run Flowlens commands only', async () => {
    const uri = vscode.Uri.file(path.join(folder, APP));
    await vscode.workspace.openTextDocument(uri);
    let got: vscode.CodeLens[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 30000) {
      got = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 1000)) ?? [];
      got = got.filter(l => l.command?.command?.startsWith('flowlens.'));
      if (got.length >= corpus.length / 2) break;
      await sleep(200);
    }
    assert.ok(got.length > 0, 'no Flowlens CodeLens on hostile_app.py');
    const bad: string[] = [];
    for (const l of got) {
      const u = unsafeAt(l.command!.title);
      if (u) bad.push(`line ${l.range.start.line + 1}: ${u}`);
      if (l.command!.tooltip) { const t = unsafeAt(l.command!.tooltip); if (t) bad.push(`tooltip line ${l.range.start.line + 1}: ${t}`); }
    }
    assert.deepStrictEqual(bad, [], summarise(bad));
  });

  it('diagnostics: messages without control characters, only on files inside the workspace', async () => {
    const appPy = vscode.Uri.file(path.join(folder, APP)).toString();
    const all = await until('Flowlens diagnostics on hostile_app.py', () => {
      const d = vscode.languages.getDiagnostics().map(([u, ds]) => [u, ds.filter(x => x.source === DIAGNOSTIC_SOURCE)] as const).filter(([, ds]) => ds.length);
      return d.some(([u]) => u.toString() === appPy) && d;
    });
    const roots = (vscode.workspace.workspaceFolders ?? []).map(f => f.uri.fsPath + path.sep);
    const bad: string[] = [];
    for (const [uri, ds] of all) {
      if (uri.scheme !== 'file' || !roots.some(r => uri.fsPath.startsWith(r))) bad.push(`diagnostic outside the workspace: ${uri.toString()}`);
      for (const d of ds) {
        const u = unsafeAt(d.message);
        if (u) bad.push(`${path.basename(uri.fsPath)}:${d.range.start.line + 1}: ${u}`);
        for (const r of d.relatedInformation ?? []) { const x = unsafeAt(r.message); if (x) bad.push(`related: ${x}`); }
      }
    }
    assert.deepStrictEqual(bad, [], summarise(bad));
  });

  it('ask.md and summary.md of every credential run (flowlens.generateAskPrompt) carry none of the credentials', async () => {
    const ws = api.services.workspaces.get(folderKey)!;
    const creds = corpus.filter(e => e.kind === 'credentials');
    const bad: string[] = [];
    for (const c of creds) {
      const run = ws.runs().find(r => r.id === `run-${c.id}-${c.text}`);
      assert.ok(run, `run for ${c.id}`);
      const files = await vscode.commands.executeCommand<{ ask: vscode.Uri; summary: vscode.Uri } | undefined>(GENERATE_ASK_PROMPT, { runId: run.id, folderKey, open: false });
      assert.ok(files, `no ask.md for ${c.id}`);
      for (const f of [files.ask, files.summary]) {
        const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(f));
        if (text.includes(c.secret!)) bad.push(`${c.id}: the secret is in ${path.basename(f.fsPath)}`);
        const u = unsafeAt(text.replace(/[\n\t]/g, ' '));
        if (u) bad.push(`${c.id}: ${path.basename(f.fsPath)} has ${u}`);
      }
    }
    // The code run holds every credential at once.
    const files = await vscode.commands.executeCommand<{ ask: vscode.Uri } | undefined>(GENERATE_ASK_PROMPT, { runId: CODE_RUN, folderKey, open: false });
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(files!.ask));
    for (const c of creds) if (text.includes(c.secret!)) bad.push(`${CODE_RUN}: the ${c.id} secret is in ask.md`);
    assert.deepStrictEqual(bad, [], summarise(bad));
  });
});
