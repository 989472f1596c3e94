// Restricted mode in the real extension host (issue: "declare and test restricted-mode behaviour:
// read-only viewing is safe; any setting that changes what is read, such as extra globs, is
// honoured only when trusted"). The window is UNTRUSTED (see suite.js); the workspace's
// .vscode/settings.json sets flowlens.traceGlobs to a trace outside the standard locations and
// flowlens.pathMappings to a folder outside the workspace. Checked: the host really is untrusted,
// Flowlens activates on its own and shows the standard traces, the extra-glob trace is not read,
// the mapping is not used, and flowlens.generateAskPrompt writes to extension storage only.
// Issue 13: the workspace is hostile too (see suite.js): a symlinked run folder leaving the
// workspace, ra.yaml → /dev/zero, a FIFO trace, a 100 MB flows.yaml, a password in evidence and
// settings raising every limit and revealing raw evidence. Checked: the outside run is not listed
// (while a TraceWorkspace in this process reads it from its real folder: the control), the raised
// settings have their default effective values, tooltips stay redacted, the host answers a command
// with those files present, and no file in or beside the workspace was added or changed.
import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import { createRequire } from 'module';
import * as path from 'path';
import * as vscode from 'vscode';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { COMMANDS } from '../../../src/host/commands';
import { readConfig } from '../../../src/host/config';
import type { TreeNode } from '../../../src/host/runs/runsView';
import type { FailureNode } from '../../../src/host/failures/failuresView';
import type { ViewsApi } from '../../../src/extension';
import { until } from '../../support/until';

const EXTENSION_ID = 'flowlens.flowlens';

interface Suite {
  EXTRA_RUN: string; EXTRA_TRACE: string; TRACE_GLOBS: string[]; MAPPED_FROM: string; OUTSIDE: string;
  OUTSIDE_RUN: string; OUTSIDE_ROOT: string; FIFO_RUN: string; SECRET_RUN: string; PASSWORD: string;
  FLOWS_YAML_BYTES: number; RAISED: Record<string, number | boolean | string>; BEFORE_FILE: string; OTLP_PORT: number; OTLP_SINK_PORT: number;
  snapshot(dir: string, out?: Record<string, string>): Record<string, string>;
  watchedDirs(workspace: string): string[];
}

/** Markdown source as read: backslash escapes undone, appendText's `&nbsp;` back to spaces. */
function readable(md: string): string {
  return md.replace(/&nbsp;/g, ' ').replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Every file under `dir` with its size and mtime (a before/after snapshot). */
function snapshot(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) snapshot(p, out);
    else {
      const st = fs.lstatSync(p);
      out.set(p, `${st.size}:${st.mtimeMs}`);
    }
  }
  return out;
}

describe('restricted mode (untrusted workspace)', function () {
  this.timeout(120000);
  let ext: vscode.Extension<ViewsApi>;
  let api: ViewsApi;
  let root: string;
  let folderKey: string;
  let suite: Suite;

  before(async () => {
    ext = vscode.extensions.getExtension<ViewsApi>(EXTENSION_ID)!;
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    const wsFolder = vscode.workspace.workspaceFolders![0];
    root = wsFolder.uri.fsPath;
    folderKey = wsFolder.uri.toString();
    suite = createRequire(__filename)(path.join(ext.extensionPath, 'test', 'integration', 'restricted', 'suite.js')) as Suite;
  });

  it('runs in an untrusted window (Workspace Trust on, folder not trusted)', () => {
    assert.strictEqual(vscode.workspace.isTrusted, false, 'vscode.workspace.isTrusted should be false');
    assert.strictEqual(vscode.workspace.getConfiguration('security.workspace.trust').get('enabled'), true);
  });

  it('the workspace asks for the restricted settings (so ignoring them is the trust gate, not a missing setting)', () => {
    const settings = JSON.parse(fs.readFileSync(path.join(root, '.vscode', 'settings.json'), 'utf8'));
    assert.deepStrictEqual(settings['flowlens.traceGlobs'], suite.TRACE_GLOBS);
    assert.deepStrictEqual(settings['flowlens.pathMappings'], { [suite.MAPPED_FROM]: suite.OUTSIDE });
    assert.ok(fs.existsSync(path.join(root, suite.EXTRA_TRACE)), 'the extra-glob trace exists');
  });

  it('the extra trace is readable and matched by the glob when the glob is honoured (control, outside VS Code config)', async () => {
    const ws = new TraceWorkspace(root, { extraGlobs: suite.TRACE_GLOBS, final: true, index: false });
    await ws.load();
    assert.ok(ws.getRun(suite.EXTRA_RUN), 'TraceWorkspace with the same globs reads the extra run');
  });

  it('activates on its own (workspaceContains) despite the restricted mode', async () => {
    await until(() => ext.isActive, { timeout: 30000, what: 'the extension to activate' });
    api = ext.exports;
    assert.ok(api?.services, 'activate() exported the services');
    await api.services.ready;
    await until(() => !api.services.loading && api.services.workspaces.get(folderKey), { timeout: 60000, what: 'the first load' });
  });

  it('shows the standard traces: the demo runs are read and listed in the Runs view', () => {
    const ws = api.services.workspaces.get(folderKey)!;
    const ids = ws.runs().map(r => r.id);
    for (const id of ['20261118T140000Z-a1c3', '20261119T140000Z-b7d2', '20261122T140000Z-f5b0']) {
      assert.ok(ids.includes(id), `${id} missing from ${JSON.stringify(ids)}`);
    }
    assert.ok(api.runsProvider.getChildren(undefined).length > 0, 'the Runs view has items');
  });

  it('does not read the trace named only by flowlens.traceGlobs', () => {
    const ws = api.services.workspaces.get(folderKey)!;
    assert.strictEqual(ws.getRun(suite.EXTRA_RUN), undefined, 'the extra-glob run was read');
    const extra = path.join(root, suite.EXTRA_TRACE);
    assert.ok(!ws.sources().some(s => s.file === extra), 'the extra-glob file is a source');
    assert.ok(!api.services.allRuns().some(r => r.run.id === suite.EXTRA_RUN));
  });

  it('the workspace is hostile as described (control: the outside run is a valid trace a TraceWorkspace reads)', async () => {
    const link = path.join(root, '.autodev', 'runs', suite.OUTSIDE_RUN);
    assert.ok(fs.lstatSync(link).isSymbolicLink(), 'the run folder is a symlink');
    const outsideRoot = path.resolve(root, suite.OUTSIDE_ROOT);
    assert.ok(!isInside(root, fs.realpathSync(link)), 'the symlink leaves the workspace');
    assert.strictEqual(fs.readlinkSync(path.join(root, '.autodev', 'ra.yaml')), '/dev/zero');
    assert.ok(fs.lstatSync(path.join(root, '.autodev', 'runs', suite.FIFO_RUN, 'trace.jsonl')).isFIFO(), 'the FIFO trace');
    assert.strictEqual(fs.statSync(path.join(root, '.autodev', 'flows.yaml')).size, suite.FLOWS_YAML_BYTES);
    const settings = JSON.parse(fs.readFileSync(path.join(root, '.vscode', 'settings.json'), 'utf8'));
    for (const [k, v] of Object.entries(suite.RAISED)) assert.strictEqual(settings[k], v, k);
    const ws = new TraceWorkspace(outsideRoot, { final: true, index: false });
    await ws.load();
    assert.ok(ws.getRun(suite.OUTSIDE_RUN), 'a TraceWorkspace on the outside folder reads the outside run');
  });

  it('does not list the run behind a symlinked run folder that leaves the workspace', () => {
    const ws = api.services.workspaces.get(folderKey)!;
    assert.strictEqual(ws.getRun(suite.OUTSIDE_RUN), undefined, 'the outside run was read');
    assert.ok(!api.services.allRuns().some(r => r.run.id === suite.OUTSIDE_RUN), 'the outside run is among allRuns()');
    const labels = api.runsProvider.getChildren(undefined).map(n => {
      const l = api.runsProvider.getTreeItem(n).label;
      return typeof l === 'string' ? l : l?.label ?? '';
    });
    assert.ok(!labels.some(l => l.includes(suite.OUTSIDE_RUN)), `the Runs view lists it: ${JSON.stringify(labels)}`);
    const outsideRoot = path.resolve(root, suite.OUTSIDE_ROOT);
    const outsideSources = ws.sources().filter(s => isInside(outsideRoot, fs.existsSync(s.file) ? fs.realpathSync(s.file) : s.file) || s.file.includes(suite.OUTSIDE_RUN));
    assert.deepStrictEqual(outsideSources.map(s => s.file), [], 'sources read from outside the workspace');
  });

  it('ignores the raised limits and raw-evidence setting of the untrusted workspace (effective values are the defaults)', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const props = (ext.packageJSON as { contributes: { configuration: { properties: Record<string, { default: unknown }> } } }).contributes.configuration.properties;
    const folderUri = vscode.workspace.workspaceFolders![0];
    const effective = readConfig(folderUri) as unknown as Record<string, unknown>;
    const wrong: string[] = [];
    for (const key of Object.keys(suite.RAISED)) {
      const short = key.slice('flowlens.'.length);
      assert.ok(key in props, `${key} is a contributed setting`);
      const seen = vscode.workspace.getConfiguration('flowlens', folderUri).inspect(short);
      console.log(`      ${key}: workspace ${JSON.stringify(seen?.workspaceValue)}, get() ${JSON.stringify(vscode.workspace.getConfiguration('flowlens', folderUri).get(short))}, Flowlens uses ${JSON.stringify(effective[short])}`);
      if (effective[short] !== props[key].default) wrong.push(`${key}: ${JSON.stringify(effective[short])} (default ${JSON.stringify(props[key].default)})`);
    }
    // What the loaded folder really got (the options the services built for it).
    const opts = (api.services.workspaces.get(folderKey) as unknown as { opts: { maxEventsPerSource?: number; maxRunFolders?: number; liveWindowMs?: number } }).opts;
    if (opts.maxEventsPerSource !== props['flowlens.maxEventsPerSource'].default) wrong.push(`the folder reads up to ${opts.maxEventsPerSource} events per source`);
    if (opts.maxRunFolders !== props['flowlens.maxRunFolders'].default) wrong.push(`the folder reads up to ${opts.maxRunFolders} run folders`);
    if (opts.liveWindowMs !== (props['flowlens.liveWindowMinutes'].default as number) * 60000) wrong.push(`the folder's live window is ${opts.liveWindowMs} ms`);
    assert.deepStrictEqual(wrong, [], 'restricted settings honoured in an untrusted workspace');
  });

  it('the OTLP receiver does not listen although the user and the workspace turn it on (Restricted Mode; the command cannot start it either)', async () => {
    const full = ext.exports as ViewsApi & { otelReceiver: { state(): { address?: string; notListening?: string }; settled(): Promise<void> } };
    assert.strictEqual(vscode.workspace.getConfiguration('flowlens').get('otel.receiver.enabled'), true, 'the setting is on (user and workspace)');
    await full.otelReceiver.settled();
    const connect = (): Promise<string> => new Promise(resolve => {
      const s = net.connect({ host: '127.0.0.1', port: suite.OTLP_PORT });
      s.once('connect', () => { s.destroy(); resolve('connected'); });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    assert.strictEqual(await connect(), 'ECONNREFUSED');
    await vscode.commands.executeCommand(COMMANDS.toggleOtlpReceiver);
    await full.otelReceiver.settled();
    assert.strictEqual(full.otelReceiver.state().address, undefined);
    assert.match(full.otelReceiver.state().notListening ?? '', /Restricted Mode/);
    assert.strictEqual(await connect(), 'ECONNREFUSED');
  });

  it('the OTLP export sends nothing although the user and the workspace set flowlens.otel.endpoint (Restricted Mode)', async () => {
    assert.strictEqual(vscode.workspace.getConfiguration('flowlens').get('otel.endpoint'), `http://127.0.0.1:${suite.OTLP_SINK_PORT}`, 'the setting is set (user and workspace)');
    assert.strictEqual(readConfig(vscode.workspace.workspaceFolders![0].uri)['otel.endpoint'], '', 'Flowlens uses the default (no endpoint)');
    let connections = 0;
    const sink = net.createServer((s) => { connections++; s.destroy(); });
    await new Promise<void>((resolve, reject) => { sink.once('error', reject); sink.listen(suite.OTLP_SINK_PORT, '127.0.0.1', () => resolve()); });
    try {
      const r = await vscode.commands.executeCommand(COMMANDS.exportOtlp, { runId: suite.SECRET_RUN, to: 'send' });
      assert.strictEqual(r, undefined, 'nothing sent');
      assert.strictEqual(connections, 0, 'no connection to the endpoint');
    } finally {
      await new Promise<void>((resolve) => sink.close(() => resolve()));
    }
  });

  it('tooltips stay redacted: the password in evidence (and repeated in the reason) is in no tooltip', () => {
    const ws = api.services.workspaces.get(folderKey)!;
    const run = ws.getRun(suite.SECRET_RUN);
    assert.ok(run, 'the secret run (a standard run folder) is read');
    assert.ok([...run.flows.values()].some(f => f.verdictEvent?.reason?.includes(suite.PASSWORD)), 'control: the reason carries the password');
    const tipOf = (item: vscode.TreeItem) => readable(item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : typeof item.tooltip === 'string' ? item.tooltip : '');
    const tips: string[] = [];
    const walk = (node: TreeNode | undefined, depth: number): void => {
      if (depth < 0) return;
      for (let i = 0; i < 50; i++) {
        const more = api.runsProvider.getChildren(node).find(x => x.kind === 'more');
        if (!more || more.kind !== 'more') break;
        api.runsProvider.showMore(more.ownerId);
      }
      for (const c of api.runsProvider.getChildren(node)) {
        if (node === undefined && !('runId' in c && c.runId === suite.SECRET_RUN)) continue;
        tips.push(tipOf(api.runsProvider.getTreeItem(c)));
        walk(c, depth - 1);
      }
    };
    walk(undefined, 6);
    const fwalk = (node: FailureNode | undefined, depth: number): void => {
      if (depth < 0) return;
      for (const c of api.failuresProvider.getChildren(node) as FailureNode[]) { tips.push(tipOf(api.failuresProvider.getTreeItem(c))); fwalk(c, depth - 1); }
    };
    fwalk(undefined, 5);
    assert.ok(tips.some(t => t.includes('login failed with')), `control: a tooltip shows the secret run's reason (${tips.length} tooltips)`);
    const leaks = tips.filter(t => t.includes(suite.PASSWORD)).map(t => JSON.stringify(t.slice(Math.max(0, t.indexOf(suite.PASSWORD) - 60), t.indexOf(suite.PASSWORD) + 30)));
    assert.deepStrictEqual(leaks, [], `${leaks.length} tooltip(s) show the password`);
  });

  it('the extension host answers a command while ra.yaml → /dev/zero, the FIFO and the 100 MB flows.yaml are present', async () => {
    // A hang guard, not a speed assertion: a host stuck reading /dev/zero or a FIFO never answers.
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<'hung'>(r => (timer = setTimeout(() => r('hung'), 60000)));
    const answered = await Promise.race([vscode.commands.executeCommand('flowlens.refreshRuns').then(() => 'answered' as const), guard]);
    clearTimeout(timer);
    assert.strictEqual(answered, 'answered', 'flowlens.refreshRuns did not return within the hang guard');
    await until(() => !api.services.loading, { timeout: 60000, what: 'the refresh to finish' });
    const ws = api.services.workspaces.get(folderKey)!;
    assert.ok(ws.getRun('20261119T140000Z-b7d2'), 'the standard runs are still listed after the refresh');
    console.log(`      catalog: ${JSON.stringify((ws.catalog as unknown as { problems?: unknown[] } | undefined)?.problems?.slice?.(0, 4) ?? null).slice(0, 400)}`);
  });

  it('does not use flowlens.pathMappings (no user mapping; a path only the mapping resolves stays unresolved)', () => {
    const ws = api.services.workspaces.get(folderKey)!;
    assert.deepStrictEqual(ws.pathMap.mappings().filter(m => m.origin === 'user'), []);
    const outside = path.resolve(root, suite.OUTSIDE);
    const r = api.services.resolveFile(folderKey, `${suite.MAPPED_FROM}/only_mapped.py`);
    assert.strictEqual(r.uri, undefined, `resolved to ${r.uri?.fsPath}`);
    assert.ok(!r.tried.some(t => isInside(outside, t)), `looked outside the workspace: ${JSON.stringify(r.tried)}`);
  });

  it('flowlens.generateAskPrompt writes to extension storage only, never into the workspace', async () => {
    const before = snapshot(root);
    const runId = '20261119T140000Z-b7d2';
    const files = await vscode.commands.executeCommand<{ ask: vscode.Uri; summary?: vscode.Uri } | undefined>(
      COMMANDS.generateAskPrompt, { runId, folderKey, open: false });
    assert.ok(files?.ask, 'the command returned the files it wrote');
    const written = Object.values(files).filter((u): u is vscode.Uri => u instanceof vscode.Uri);
    for (const u of written) {
      assert.ok(!isInside(root, u.fsPath), `${u.fsPath} is inside the workspace`);
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(u));
      assert.ok(text.length > 0, `${u.fsPath} is empty`);
    }
    assert.ok(files.ask.path.includes(`/ask/`), `ask.md is not under <storage>/ask/: ${files.ask.toString()}`);
    const after = snapshot(root);
    const changed = [...after].filter(([p, sig]) => before.get(p) !== sig).map(([p]) => p);
    const removed = [...before.keys()].filter(p => !after.has(p));
    assert.deepStrictEqual({ changed, removed }, { changed: [], removed: [] }, 'the workspace was modified');
  });
  it('no file in or beside the workspace was added, changed or removed (snapshot taken before the window opened)', () => {
    const before = JSON.parse(fs.readFileSync(path.resolve(root, suite.BEFORE_FILE), 'utf8')) as Record<string, string>;
    const after: Record<string, string> = {};
    for (const d of suite.watchedDirs(root)) suite.snapshot(d, after);
    assert.ok(Object.keys(before).length > 20, `the snapshot lists ${Object.keys(before).length} files`);
    const changed = Object.keys(after).filter(p => p in before && before[p] !== after[p]);
    const added = Object.keys(after).filter(p => !(p in before));
    const removed = Object.keys(before).filter(p => !(p in after));
    assert.deepStrictEqual({ changed, added, removed }, { changed: [], added: [], removed: [] });
  });
});
