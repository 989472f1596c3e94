// Wiring in the real extension host: the extension is found, activates on the demo workspace,
// and registers every command its manifest declares.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { until } from '../support/until';

const EXTENSION_ID = 'flowlens.flowlens';

interface Manifest {
  activationEvents?: string[];
  contributes?: { commands?: { command: string; title: string }[] };
}

describe('activation', () => {
  it('runs inside a real VS Code', () => {
    assert.match(vscode.version, /^1\.\d+\.\d+/);
  });

  it('opens the demo workspace', () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.strictEqual(folders.length, 1, 'expected exactly one workspace folder');
    const trace = path.join(folders[0].uri.fsPath, '.autodev', 'trace.jsonl');
    assert.ok(fs.existsSync(trace), `${trace} is missing: the host did not open the demo workspace`);
  });

  it(`finds ${EXTENSION_ID}`, () => {
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID), `${EXTENSION_ID} is not loaded`);
  });

  it('activates on its own because the workspace holds a trace', async () => {
    // activationEvents are workspaceContains:*, so the host starts the extension without help;
    // the test run may begin a moment before activation finishes, hence the short wait.
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await until(() => ext.isActive, { timeout: 15000, what: 'activation by workspaceContains' });
    assert.strictEqual(ext.isActive, true);
  });

  it('activate() resolves without throwing', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    assert.strictEqual(ext.isActive, true);
  });

  // Timing is not asserted here (a loaded machine is not a slow extension): `npm run bench` prints
  // the figure this test writes and holds it to its target (issue #7: ≤ 50 ms).
  it('returns its activation timing (bundle load and activate(), before any trace is read) and writes it for the bench', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const api = (await ext.activate()) as { activation?: { loadMs?: number; activateMs: number } };
    const a = api.activation;
    assert.ok(a, 'activate() returns no activation timing');
    assert.ok(Number.isFinite(a.activateMs) && a.activateMs >= 0, `activateMs ${a.activateMs}`);
    assert.ok(a.loadMs !== undefined && Number.isFinite(a.loadMs) && a.loadMs >= 0, `loadMs ${a.loadMs} (the bundle banner did not run)`);
    // A figure, not an assertion (timing is for `npm run bench`, which prints this file's numbers).
    const total = a.loadMs + a.activateMs;
    console.log(`      activation: ${total.toFixed(1)} ms (bundle ${a.loadMs.toFixed(1)} ms + activate() ${a.activateMs.toFixed(1)} ms) before any trace is read`);
    const out = process.env.FLOWLENS_ACTIVATION_REPORT;
    if (out) fs.writeFileSync(out, JSON.stringify({ loadMs: a.loadMs, activateMs: a.activateMs, totalMs: total, vscode: vscode.version, at: new Date().toISOString() }) + '\n');
  });

  it('registers every command declared in package.json', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    // Read the manifest from disk (what ships), not only ext.packageJSON (what the host parsed).
    const manifest = JSON.parse(fs.readFileSync(path.join(ext.extensionPath, 'package.json'), 'utf8')) as Manifest;
    const declared = (manifest.contributes?.commands ?? []).map(c => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = declared.filter(c => !registered.has(c));
    assert.deepStrictEqual(missing, [], `declared but not registered: ${missing.join(', ')}`);
  });
});
