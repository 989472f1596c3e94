// Restricted mode in the real extension host (issue: "declare and test restricted-mode behaviour:
// read-only viewing is safe; any setting that changes what is read, such as extra globs, is
// honoured only when trusted"). The window is UNTRUSTED (see suite.js); the workspace's
// .vscode/settings.json sets flowlens.traceGlobs to a trace outside the standard locations and
// flowlens.pathMappings to a folder outside the workspace. Checked: the host really is untrusted,
// Flowlens activates on its own and shows the standard traces, the extra-glob trace is not read,
// the mapping is not used, and flowlens.generateAskPrompt writes to extension storage only.
import * as assert from 'assert';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import * as vscode from 'vscode';
import { TraceWorkspace } from '../../../src/trace/workspace';
import { GENERATE_ASK_PROMPT } from '../../../src/views/constants';
import type { ViewsApi } from '../../../src/views/index';

const EXTENSION_ID = 'flowlens.flowlens';
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

interface Suite { EXTRA_RUN: string; EXTRA_TRACE: string; TRACE_GLOBS: string[]; MAPPED_FROM: string; OUTSIDE: string }

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 30000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
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
    await until('the extension to activate', () => ext.isActive, 30000);
    api = ext.exports;
    assert.ok(api?.services, 'activate() exported the services');
    await api.services.ready;
    await until('the first load', () => !api.services.loading && api.services.workspaces.get(folderKey), 60000);
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
      GENERATE_ASK_PROMPT, { runId, folderKey, open: false });
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
});
