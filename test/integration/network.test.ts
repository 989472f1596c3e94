// Flowlens never opens a socket (issue: "a test patches the network modules in the extension host
// and fails on use"). The extension is already active when mocha loads this file, so the patches
// go in first (module load), then every workspace folder is re-read from scratch and the main
// commands run. A call counts as Flowlens's when its stack passes through the extension's bundle
// (dist/); calls from VS Code or other extensions pass through untouched.
import * as assert from 'assert';
import { createRequire } from 'module';
import * as path from 'path';
import * as vscode from 'vscode';
import type { FlowlensApi } from '../../src/extension';
import { COMMANDS } from '../../src/host/commands';
import { until } from '../support/until';

const EXTENSION_ID = 'flowlens.flowlens';
// The module objects themselves (what the extension's bundle gets from require), not the bundler's
// read-only namespace copies that `import * as` would give here.
const req = createRequire(__filename);
const net = req('net') as typeof import('net');
const http = req('http') as typeof import('http');
const https = req('https') as typeof import('https');
const tls = req('tls') as typeof import('tls');
const dns = req('dns') as typeof import('dns');
const EXT = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
// The bundle, or its sources when the host maps stacks through source maps.
const OURS = [path.join(EXT, 'dist') + path.sep, path.join(EXT, 'src') + path.sep];
const isOurs = (stack: string): boolean => OURS.some(p => stack.includes(p));

interface Call { api: string; stack: string }
const calls: Call[] = [];
const restore: (() => void)[] = [];

/** Wrap `obj[key]`: record every call with its stack; a call from Flowlens's bundle throws. */
function patch<T extends object>(obj: T, key: keyof T & string, api: string): void {
  const original = obj[key] as unknown as (...a: unknown[]) => unknown;
  if (typeof original !== 'function') return;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    // The opt-in OTLP receiver (flowlens.otel.receiver.enabled, off by default) binds 127.0.0.1:
    // Node's listen() passes the address literal through dns.lookup, which resolves no name.
    if (api === 'dns.lookup' && args[0] === '127.0.0.1') return original.apply(this, args);
    const stack = new Error().stack ?? '';
    calls.push({ api, stack });
    if (isOurs(stack)) throw new Error(`Flowlens must not use the network (${api})`);
    return original.apply(this, args);
  };
  (obj as Record<string, unknown>)[key] = wrapped;
  restore.push(() => { (obj as Record<string, unknown>)[key] = original; });
}

// At module load: before any test in this file does work.
patch(net.Socket.prototype, 'connect', 'net.Socket.connect');
patch(net, 'connect', 'net.connect');
patch(net, 'createConnection', 'net.createConnection');
patch(http, 'request', 'http.request');
patch(http, 'get', 'http.get');
patch(https, 'request', 'https.request');
patch(https, 'get', 'https.get');
patch(tls, 'connect', 'tls.connect');
patch(dns, 'lookup', 'dns.lookup');
patch(dns, 'resolve', 'dns.resolve');
patch(dns.promises, 'lookup', 'dns.promises.lookup');
if (typeof globalThis.fetch === 'function') patch(globalThis as { fetch: unknown }, 'fetch', 'fetch');

const fromFlowlens = () => calls.filter(c => isOurs(c.stack));

describe('network guard', function () {
  this.timeout(120000);
  let api: FlowlensApi;

  before(async () => {
    api = (await vscode.extensions.getExtension(EXTENSION_ID)!.activate()) as FlowlensApi;
    await api.services.ready;
  });

  after(() => { for (const r of restore.splice(0).reverse()) r(); });

  it('the guard sees a call and tells where it came from (self-check)', async () => {
    const before = calls.length;
    await new Promise<void>(r => dns.lookup('localhost', () => r()));
    const mine = calls.slice(before);
    assert.ok(mine.some(c => c.api === 'dns.lookup' && c.stack.includes('network.test')), 'the patch records calls with their stack');
    assert.strictEqual(mine.filter(c => isOurs(c.stack)).length, 0);
  });

  it('re-reading every folder and running the main commands opens no socket and resolves no name', async () => {
    // A full reload: every TraceWorkspace is recreated and read from scratch, then tailed.
    (api.services as unknown as { reload(): void }).reload();
    await until(() => !api.services.loading, { timeout: 60000, what: 'the reload to finish' });
    await api.services.refresh();
    for (const key of api.services.workspaces.keys()) await api.services.refresh(key);
    await vscode.commands.executeCommand(COMMANDS.refreshRuns);
    const latest = api.services.latestRun();
    assert.ok(latest, 'a run to ask about');
    await vscode.commands.executeCommand(COMMANDS.generateAskPrompt, { runId: latest.run.id, folderKey: latest.folderKey, open: false });
    const all = await vscode.commands.getCommands(true);
    if (all.includes('flowlens.openDashboard')) {
      await vscode.commands.executeCommand('flowlens.openDashboard');
      // The panel reads the stores and posts its first model once the webview says `ready`:
      // everything the dashboard does has run when that model is out.
      await until(() => (api.dashboard.current?.modelsPosted ?? 0) > 0, { timeout: 60000, what: 'the dashboard to post its first model' });
    }
    await vscode.commands.executeCommand(COMMANDS.showFailures);
    // What the focused Failures view asks for, done here so it has surely run before the check.
    for (const node of api.failuresProvider.getChildren()) api.failuresProvider.getTreeItem(node);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.strictEqual(api.otelReceiver.state().address, undefined, 'the OTLP receiver is off by default');
    const bad = fromFlowlens();
    assert.deepStrictEqual(bad.map(c => `${c.api}\n${c.stack.split('\n').slice(1, 8).join('\n')}`), []);
  });
});
