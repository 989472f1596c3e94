// Hostile strings in the real extension host (docs/reliability.md): a copy of
// test/fixtures/hostile (one flowscribe v1 run per corpus entry, the entry's text in every field)
// is put inside the test workspace (`hostile-fixture/.autodev/`, found by discovery like any
// nested `.autodev/`; the in-host runner opens one folder and cannot enter a multi-root
// workspace), plus a run folder whose flows start and fail on the lines of hostile_app.py, so
// CodeLens and Problems show the hostile text too. Checked: Runs and Failures tree items (labels,
// descriptions, tooltips, commands), CodeLens titles, diagnostics, and ask.md/summary.md written
// by flowlens.generateAskPrompt. Hover text of the failure decorations is not reachable from the
// API. Afterwards the copy is removed and every folder re-read, for the test files that follow.
// Issue 13 (trust boundary) adds: every notification shown while opening each hostile failure's
// location, the run-ended notification of a live hostile run and the `@flowlens` participant's
// response hold no link VS Code would render (notifications: VS Code's own link pattern, which
// no backslash escapes; Markdown: no live link outside fences and code spans); failures at
// /etc/passwd and ../../../etc/passwd put no diagnostic there and open nothing outside without
// asking; a value redacted under `password` never reaches a tooltip, even where it is repeated
// in a reason (tooltips are redacted unless flowlens.tooltips.showRawEvidence, off by default).
import * as assert from 'assert';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import * as vscode from 'vscode';
import type { FailureNode } from '../../src/host/failures/failuresView';
import type { TreeNode } from '../../src/host/runs/runsView';
import type { FlowlensApi } from '../../src/extension';
import { COMMANDS } from '../../src/host/commands';
import { DIAGNOSTIC_SOURCE } from '../../src/host/constants';
import { until } from '../support/until';

const EXTENSION_ID = 'flowlens.flowlens';

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

/**
 * VS Code's notification link pattern (workbench notifications: `[label](https://|command:|file:…)`
 * becomes a clickable link, and a command link runs on click). Notifications do not honour
 * backslash escapes, so any match in a message is a link.
 */
const NOTIFICATION_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/i;

/** Markdown with inline code spans removed (their content renders as code, never as a link). */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g, '');
}

/** Live links or images in Markdown text (outside fences and code spans), e.g. chat responses. */
function liveLinks(md: string): string[] {
  const out: string[] = [];
  for (const raw of outsideFences(md)) {
    const l = withoutCodeSpans(raw);
    if (/(^|[^\\])\]\(\s*<?\s*(command|javascript|vbscript|data|file|https?):/i.test(l)) out.push(`live link: ${JSON.stringify(raw.slice(0, 160))}`);
    if (/(^|[^\\])!\[/.test(l)) out.push(`live image: ${JSON.stringify(raw.slice(0, 160))}`);
    if (/(^|[^\\])<(command|javascript|vbscript|data):/i.test(l)) out.push(`autolink: ${JSON.stringify(raw.slice(0, 160))}`);
  }
  return out;
}

/**
 * What a reader sees of Markdown source, for substring checks: backslash escapes undone and the
 * `&nbsp;` MarkdownString.appendText writes for spaces turned back into spaces (else an escaped
 * secret such as `pa\-ss\!` would slip past `includes`).
 */
function readable(md: string): string {
  return md.replace(/&nbsp;/g, ' ').replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

/** A notification as the extension asked VS Code to show it. */
interface Shown { kind: string; message: string; detail?: string; items: string[] }

/** Problems of one notification: a link would form, or raw control/bidi characters. */
function notificationProblems(n: Shown): string[] {
  const bad: string[] = [];
  for (const [what, text] of [['message', n.message], ['detail', n.detail ?? ''], ...n.items.map(i => ['button', i])] as const) {
    const m = NOTIFICATION_LINK.exec(text);
    if (m) bad.push(`${n.kind} ${what} forms a link to ${JSON.stringify(m[2].slice(0, 80))}: ${JSON.stringify(text.slice(0, 160))}`);
    const u = unsafeAt(text);
    if (u) bad.push(`${n.kind} ${what}: ${u}`);
  }
  return bad;
}

function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : item.label?.label ?? '';
}

type Entry = { kind: 'hostile' | 'credentials'; id: string; text: string; secret?: string };

describe('hostile workspace (every surface)', function () {
  this.timeout(180000);
  let api: FlowlensApi;
  let folder: string;
  let hostileIds: Set<string>;
  let latestFile: string | undefined;
  let savedLatest: { link?: string; text?: string } = {};
  let folderKey: string;
  let corpus: Entry[];
  const CODE_RUN = '20261122T120000Z-hostile-code';
  const APP = 'hostile_app.py';
  /** A run id that is itself a command link (no whitespace, so `@flowlens run:<id>` can name it). */
  const LINK_RUN = 'run-[x](command:workbench.action.terminal.new)';
  const LINK = '[Locate the file](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22touch%20%2Ftmp%2Fpwned%5Cn%22%7D)';
  /** A secret redacted under `password` in evidence and repeated verbatim in the reason. */
  const SECRET_RUN = '20261122T121000Z-hostile-secret';
  const SECRET = `Zq7-${process.pid}-s3cr3t!pw`;
  /** Failures whose file is outside the workspace (absolute, relative, deep relative). */
  const OUTSIDE_FILES = ['/etc/passwd', '../../../etc/passwd', `${'../'.repeat(24)}etc/passwd`];
  /** Notifications the extension asked VS Code to show while the spy was installed. */
  const shown: Shown[] = [];
  const spied = new Map<string, unknown>();

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    api = (await ext.activate()) as FlowlensApi;
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
    OUTSIDE_FILES.forEach((file, i) => {
      ev('flow_start', 1, { flow: `outside/${i}`, flow_id: `o-${i}`, file, line: 1 });
      ev('failure', 2, { flow: `outside/${i}`, flow_id: `o-${i}`, failure_class: 'PATH.OUTSIDE', reason: `failed at ${file}`, file, line: 1, duration_ms: 5 });
    });
    ev('session_end', 3, { status: 'failed' });
    const writeRun = (id: string, text: string[]): void => {
      const runDir = path.join(folder, '.autodev', 'runs', id);
      fs.mkdirSync(runDir, { recursive: true });
      fs.writeFileSync(path.join(runDir, 'trace.jsonl'), text.join('\n') + '\n');
    };
    writeRun(CODE_RUN, lines);
    const runLines = (id: string, minute: number, failure: Record<string, unknown>): string[] => {
      const at = (k: number) => new Date(Date.UTC(2026, 10, 22, 12, minute, k)).toISOString();
      return [
        { v: 1, event_type: 'session_start', run_id: id, timestamp: at(0), app: 'hostile' },
        { v: 1, event_type: 'flow_start', run_id: id, timestamp: at(1), flow: failure.flow, flow_id: 'h-1' },
        { v: 1, event_type: 'failure', run_id: id, timestamp: at(2), flow_id: 'h-1', duration_ms: 5, ...failure },
        { v: 1, event_type: 'session_end', run_id: id, timestamp: at(3), status: 'failed' },
      ].map(o => JSON.stringify(o));
    };
    writeRun(LINK_RUN, runLines(LINK_RUN, 5, { flow: `link/${LINK}`, step: LINK, failure_class: 'TRUST.LINK', reason: `vendor said ${LINK}`, file: LINK, line: 3, evidence: { hint: LINK } }));
    writeRun(SECRET_RUN, runLines(SECRET_RUN, 10, { flow: 'auth/login', step: 'login', failure_class: 'AUTH.DENIED', reason: `login failed for bob with ${SECRET}`, file: `hostile-fixture/${APP}`, line: 1, evidence: { user: 'bob', password: SECRET, note: `tried ${SECRET}` } }));

    // Problems and decorations show the folder's latest run: point `.autodev/latest` at the code run.
    latestFile = path.join(wsFolder.uri.fsPath, '.autodev', 'latest');
    const st = fs.lstatSync(latestFile, { throwIfNoEntry: false });
    savedLatest = st?.isSymbolicLink() ? { link: fs.readlinkSync(latestFile) } : st ? { text: fs.readFileSync(latestFile, 'utf8') } : {};
    fs.rmSync(latestFile, { force: true });
    fs.writeFileSync(latestFile, CODE_RUN);

    await api.services.refresh(folderKey);
    hostileIds = new Set([...corpus.map(e => `run-${e.id}-${e.text}`), CODE_RUN, LINK_RUN, SECRET_RUN]);
    await until(() => {
      const ws = api.services.workspaces.get(folderKey);
      return !api.services.loading && ws && ws.runs().filter(r => hostileIds.has(r.id)).length === hostileIds.size;
    }, { timeout: 120000, what: 'the hostile runs to load' });

    // Every notification the extension asks for is recorded and answered "dismissed" (a modal
    // "Open anyway?" too), so nothing waits on a person. The test's `vscode` is the extension's
    // own API object (same extension folder); the first test checks the spy sees its calls.
    const w = vscode.window as unknown as Record<string, unknown>;
    for (const [name, kind] of [['showInformationMessage', 'info'], ['showWarningMessage', 'warning'], ['showErrorMessage', 'error']] as const) {
      spied.set(name, w[name]);
      w[name] = (message: string, ...rest: unknown[]) => {
        const opts = rest[0] && typeof rest[0] === 'object' && !('title' in (rest[0] as object)) ? rest.shift() as vscode.MessageOptions : undefined;
        const items = rest.map(i => typeof i === 'string' ? i : (i as vscode.MessageItem)?.title ?? String(i));
        shown.push({ kind: `${kind}${opts?.modal ? ' (modal)' : ''}`, message: String(message), detail: opts?.detail, items });
        return Promise.resolve(undefined);
      };
    }
  });

  after(async () => {
    const w = vscode.window as unknown as Record<string, unknown>;
    for (const [name, fn] of spied) w[name] = fn;
    fs.rmSync(folder, { recursive: true, force: true });
    if (latestFile) {
      fs.rmSync(latestFile, { force: true });
      if (savedLatest.link !== undefined) fs.symlinkSync(savedLatest.link, latestFile);
      else if (savedLatest.text !== undefined) fs.writeFileSync(latestFile, savedLatest.text);
    }
    // The next test files count the demo runs: re-read every folder and wait for it.
    (api.services as unknown as { reload(): void }).reload();
    await until(() => {
      const ws = api.services.workspaces.get(folderKey);
      return !api.services.loading && ws && ws.runs().length > 0 && !ws.runs().some(r => hostileIds.has(r.id));
    }, { timeout: 120000, what: 'the demo folder to reload' });
  });

  it('reads every hostile run', () => {
    const ws = api.services.workspaces.get(folderKey)!;
    assert.strictEqual(ws.runs().filter(r => hostileIds.has(r.id)).length, corpus.length + 3);
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
    // Until most corpus lines have their lens (or 30 s); the assertions below judge what came.
    await until(async () => {
      got = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 1000)) ?? [];
      got = got.filter(l => l.command?.command?.startsWith('flowlens.'));
      return got.length >= corpus.length / 2;
    }, { timeout: 30000, interval: 200, what: 'Flowlens CodeLens on most corpus lines' }).catch(() => undefined);
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
    const all = await until(() => {
      const d = vscode.languages.getDiagnostics().map(([u, ds]) => [u, ds.filter(x => x.source === DIAGNOSTIC_SOURCE)] as const).filter(([, ds]) => ds.length);
      return d.some(([u]) => u.toString() === appPy) && d;
    }, { what: 'Flowlens diagnostics on hostile_app.py' });
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
      const files = await vscode.commands.executeCommand<{ ask: vscode.Uri; summary: vscode.Uri } | undefined>(COMMANDS.generateAskPrompt, { runId: run.id, folderKey, open: false });
      assert.ok(files, `no ask.md for ${c.id}`);
      for (const f of [files.ask, files.summary]) {
        const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(f));
        if (text.includes(c.secret!)) bad.push(`${c.id}: the secret is in ${path.basename(f.fsPath)}`);
        const u = unsafeAt(text.replace(/[\n\t]/g, ' '));
        if (u) bad.push(`${c.id}: ${path.basename(f.fsPath)} has ${u}`);
      }
    }
    // The code run holds every credential at once.
    const files = await vscode.commands.executeCommand<{ ask: vscode.Uri } | undefined>(COMMANDS.generateAskPrompt, { runId: CODE_RUN, folderKey, open: false });
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(files!.ask));
    for (const c of creds) if (text.includes(c.secret!)) bad.push(`${CODE_RUN}: the ${c.id} secret is in ask.md`);
    assert.deepStrictEqual(bad, [], summarise(bad));
  });
  /** Documents open in the editor whose file lies outside every workspace folder. */
  function outsideDocs(): string[] {
    const roots = (vscode.workspace.workspaceFolders ?? []).map(f => f.uri.fsPath + path.sep);
    return vscode.workspace.textDocuments.filter(d => d.uri.scheme === 'file' && !roots.some(r => d.uri.fsPath.startsWith(r))).map(d => d.uri.fsPath);
  }

  it('notifications: opening every hostile failure location shows no link and opens nothing outside the workspace', async () => {
    const docsBefore = new Set(outsideDocs());
    const seen = new Set<string>();
    const commands: vscode.Command[] = [];
    const items = [
      ...failuresTree().map(n => api.failuresProvider.getTreeItem(n)),
      ...runsTree().filter(n => 'runId' in n && hostileIds.has(n.runId)).map(n => api.runsProvider.getTreeItem(n)),
    ];
    for (const item of items) {
      const c = item.command;
      if (!c || c.command !== 'flowlens.openLocation') continue;
      const file = (c.arguments?.[0] as { file?: string } | undefined)?.file;
      if (typeof file !== 'string' || seen.has(file)) continue;
      seen.add(file);
      commands.push(c);
    }
    for (const f of [LINK, ...OUTSIDE_FILES]) assert.ok(seen.has(f), `no tree item opens ${JSON.stringify(f)}`);
    const mark = shown.length;
    for (const c of commands) await vscode.commands.executeCommand(c.command, ...(c.arguments ?? []));
    const mine = shown.slice(mark);
    // Control: the spy sees the extension's calls (the link's file cannot be found: a warning).
    assert.ok(mine.some(n => n.kind.startsWith('warning')), `no warning recorded for ${commands.length} locations: ${JSON.stringify(mine.slice(0, 3))}`);
    const bad = mine.flatMap(notificationProblems);
    const opened = outsideDocs().filter(d => !docsBefore.has(d));
    if (opened.length) bad.push(`opened outside the workspace without the user's consent: ${opened.join(', ')}`);
    console.log(`      ${commands.length} locations opened; ${mine.length} notifications: ${[...new Set(mine.map(n => `${n.kind}: ${n.message.slice(0, 90)}`))].slice(0, 6).join(' | ')}`);
    assert.deepStrictEqual(bad, [], summarise(bad));
  });

  it('diagnostics: a failure at /etc/passwd or ../../../etc/passwd puts no diagnostic outside the workspace', async () => {
    const ws = api.services.workspaces.get(folderKey)!;
    const run = ws.getRun(CODE_RUN)!;
    const files = new Set<string>();
    for (const f of run.flows.values()) if (f.verdictEvent?.file) files.add(f.verdictEvent.file);
    for (const f of OUTSIDE_FILES) assert.ok(files.has(f), `control: the run has a failure at ${f}`);
    // Wait until Problems shows the run at all (its in-workspace failures), then look everywhere.
    const appPy = vscode.Uri.file(path.join(folder, APP)).toString();
    await until(() => vscode.languages.getDiagnostics().some(([u, ds]) => u.toString() === appPy && ds.some(d => d.source === DIAGNOSTIC_SOURCE)), { what: 'Flowlens diagnostics on hostile_app.py' });
    const roots = (vscode.workspace.workspaceFolders ?? []).map(f => f.uri.fsPath + path.sep);
    const outside = vscode.languages.getDiagnostics()
      .filter(([u, ds]) => ds.some(d => d.source === DIAGNOSTIC_SOURCE) && (u.scheme !== 'file' || !roots.some(r => u.fsPath.startsWith(r))))
      .map(([u]) => u.toString());
    assert.deepStrictEqual(outside, [], 'Flowlens diagnostics on files outside the workspace');
    assert.deepStrictEqual(vscode.languages.getDiagnostics(vscode.Uri.file('/etc/passwd')).filter(d => d.source === DIAGNOSTIC_SOURCE), []);
  });

  it('tooltips are redacted by default: a password from evidence, repeated in a reason, is in no tooltip', () => {
    const ws = api.services.workspaces.get(folderKey)!;
    const run = ws.getRun(SECRET_RUN)!;
    // Control: the model holds the secret verbatim (so a tooltip built from it raw would show it).
    assert.ok([...run.flows.values()].some(f => f.verdictEvent?.reason?.includes(SECRET)), 'control: the reason carries the secret');
    const tips: string[] = [];
    const tipOf = (item: vscode.TreeItem) => readable(item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : typeof item.tooltip === 'string' ? item.tooltip : '');
    const runNodes = runsTree().filter(n => 'runId' in n && n.runId === SECRET_RUN);
    assert.ok(runNodes.length >= 3, `walked ${runNodes.length} nodes of the secret run`);
    for (const n of runNodes) tips.push(tipOf(api.runsProvider.getTreeItem(n)));
    for (const n of failuresTree()) tips.push(tipOf(api.failuresProvider.getTreeItem(n)));
    assert.ok(tips.some(t => t.includes('login failed for bob')), 'control: a tooltip shows the secret run\'s reason');
    const leaks = tips.filter(t => t.includes(SECRET)).map(t => JSON.stringify(t.slice(Math.max(0, t.indexOf(SECRET) - 60), t.indexOf(SECRET) + SECRET.length + 10)));
    assert.deepStrictEqual(leaks, [], `${leaks.length} tooltip(s) show the password`);
  });

  it('@flowlens participant: responses hold no live link and no redacted secret', async function () {
    const handler = api.ai?.participant?.requestHandler;
    assert.ok(handler, 'the @flowlens participant is registered (chat API present on every supported VS Code)');
    const parts: string[] = [];
    const prompts: string[] = [];
    const stream = new Proxy({} as Record<string, unknown>, {
      get: (_t, name: string) => (...args: unknown[]) => {
        const v = args[0];
        if (name === 'markdown' || name === 'progress' || name === 'warning') parts.push(v instanceof vscode.MarkdownString ? v.value : String(v));
        else if (name === 'push') parts.push(JSON.stringify(v));
      },
    }) as unknown as vscode.ChatResponseStream;
    const model = {
      id: 'fake', name: 'fake', vendor: 'test', family: 'fake', version: '1', maxInputTokens: 100000,
      countTokens: async () => 1,
      sendRequest: async (messages: vscode.LanguageModelChatMessage[]) => {
        prompts.push(messages.map(m => m.content.map(p => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('')).join('\n'));
        return { text: (async function* () { yield 'ok'; })(), stream: (async function* () { /* none */ })() };
      },
    };
    const ask = async (command: string | undefined, prompt: string) => {
      const request = { prompt, command, references: [], toolReferences: [], toolInvocationToken: undefined, model } as unknown as vscode.ChatRequest;
      await handler!(request, { history: [] } as unknown as vscode.ChatContext, stream, new vscode.CancellationTokenSource().token);
    };
    await ask('failures', `run:${LINK_RUN}`);
    assert.ok(parts.join('\n').includes('TRUST.LINK'), `control: /failures answered about the link run: ${JSON.stringify(parts.join('\n').slice(0, 300))}`);
    await ask('failures', `run:${SECRET_RUN}`);
    await ask('flow', `run:${LINK_RUN} link/${LINK}`);
    await ask(undefined, `run:${SECRET_RUN} why did login fail?`);
    await ask('ask', `run:${LINK_RUN}`);
    const text = parts.join('\n');
    const bad = liveLinks(text);
    if (readable(text).includes(SECRET)) bad.push('the chat response shows the password');
    for (const p of prompts) if (p.includes(SECRET)) bad.push('the prompt sent to the model holds the password');
    console.log(`      chat: ${parts.length} parts, ${prompts.length} model prompt(s)`);
    assert.deepStrictEqual(bad, [], summarise(bad));
  });

  it('notifications: the "run ended" notice of a live run whose id is a command link forms no link', async () => {
    const LIVE_RUN = `live-${process.pid}-[x](command:workbench.action.terminal.new)`;
    hostileIds.add(LIVE_RUN);
    const runDir = path.join(folder, '.autodev', 'runs', LIVE_RUN);
    fs.mkdirSync(runDir, { recursive: true });
    const trace = path.join(runDir, 'trace.jsonl');
    const at = () => new Date().toISOString();
    fs.writeFileSync(trace, [
      { v: 1, event_type: 'session_start', run_id: LIVE_RUN, timestamp: at(), app: 'live' },
      { v: 1, event_type: 'flow_start', run_id: LIVE_RUN, timestamp: at(), flow: `live/${LINK}`, flow_id: 'l-1' },
    ].map(o => JSON.stringify(o)).join('\n') + '\n');
    await api.services.refresh(folderKey);
    await until(() => api.services.findRun(LIVE_RUN, folderKey)?.run.status === 'running', { what: 'the live run to show as running' });
    const mark = shown.length;
    fs.appendFileSync(trace, [
      { v: 1, event_type: 'failure', run_id: LIVE_RUN, timestamp: at(), flow: `live/${LINK}`, flow_id: 'l-1', failure_class: 'TRUST.LINK', reason: `vendor said ${LINK}`, file: LINK, line: 1 },
      { v: 1, event_type: 'session_end', run_id: LIVE_RUN, timestamp: at(), status: 'failed' },
    ].map(o => JSON.stringify(o)).join('\n') + '\n');
    await api.services.refresh(folderKey);
    await until(() => api.services.findRun(LIVE_RUN, folderKey)?.run.status === 'failed', { what: 'the live run to end' });
    // ask_md: on_failure (the default) writes ask.md when a watched run ends, and says so.
    const notes = await until(() => shown.length > mark && shown.slice(mark), { timeout: 30000, what: 'the run-ended notification' });
    console.log(`      ${notes.map(n => `${n.kind}: ${n.message.slice(0, 120)}`).join(' | ')}`);
    const bad = notes.flatMap(notificationProblems);
    assert.deepStrictEqual(bad, [], summarise(bad));
  });
});
