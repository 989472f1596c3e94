// src/host/mcp/register.ts without VS Code: which MCP server definitions the extension offers
// (trusted local folders only, none in Restricted Mode), that it fires a change on trust and
// folder changes, and that it stays absent on a host without the MCP API (VS Code 1.100).
// The in-host check on VS Code 1.104 (definition started, answering list_runs) is in
// test/integration/chatLoop.test.ts.
import { vs } from './vscodeExtras';
import * as assert from 'node:assert/strict';

class McpStdioServerDefinition {
  cwd?: unknown;
  constructor(public label: string, public command: string, public args: string[] = [], public env: Record<string, unknown> = {}, public version?: string) {}
}
const fired = { folders: [] as (() => void)[], trust: [] as (() => void)[] };
const providers: { id: string; provider: unknown }[] = [];
const folder = (p: string, scheme = 'file') => ({ name: p.split('/').pop(), uri: { scheme, fsPath: p, path: p } });
// The stub's workspace object is shared by every unit-test bundle (vscodeExtras sets isTrusted
// false on it): only these fields are set, in before(), and put back in after().
const workspace = vs.workspace as Record<string, unknown>;
const mine: Record<string, unknown> = {
  isTrusted: true,
  workspaceFolders: [folder('/w/app')],
  onDidChangeWorkspaceFolders: (cb: () => void) => (fired.folders.push(cb), { dispose: () => undefined }),
  onDidGrantWorkspaceTrust: (cb: () => void) => (fired.trust.push(cb), { dispose: () => undefined }),
};
const lm: Record<string, unknown> = {
  registerMcpServerDefinitionProvider: (id: string, provider: unknown) => (providers.push({ id, provider }), { dispose: () => undefined }),
};
// Present before the module under test is evaluated (a bundle copies the module's keys then).
vs.McpStdioServerDefinition = McpStdioServerDefinition;
const hadLm = 'lm' in vs;
if (!hadLm) vs.lm = lm;
else Object.assign(vs.lm as object, lm);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- after the stub is set up
const { register, MCP_PROVIDER_ID } = require('../../../src/host/mcp/register') as typeof import('../../../src/host/mcp/register');

const context = { asAbsolutePath: (p: string) => `/ext/${p}`, extension: { packageJSON: { version: '9.9.9' } } } as never;

describe('MCP server definitions (src/host/mcp/register.ts)', () => {
  const saved: Record<string, unknown> = {};
  before(() => { for (const k of Object.keys(mine)) saved[k] = workspace[k]; });
  beforeEach(() => { Object.assign(workspace, mine, { isTrusted: true, workspaceFolders: [folder('/w/app')] }); providers.length = 0; });
  after(() => {
    Object.assign(workspace, saved);
    delete vs.McpStdioServerDefinition;
    if (!hadLm) delete vs.lm;
    else delete (vs.lm as Record<string, unknown>).registerMcpServerDefinitionProvider;
  });

  it('registers one provider under the contributed id and offers `node dist/cli.js mcp --root <folder>`', () => {
    const { mcp } = register(context);
    assert.equal(mcp.registered, true);
    assert.deepEqual(providers.map((p) => p.id), [MCP_PROVIDER_ID]);
    const defs = mcp.provider!.provideMcpServerDefinitions();
    assert.equal(defs.length, 1);
    assert.ok(defs[0] instanceof McpStdioServerDefinition);
    assert.equal(defs[0].label, 'Flowlens traces');
    assert.equal(defs[0].command, process.execPath);
    assert.deepEqual(defs[0].args, ['/ext/dist/cli.js', 'mcp', '--root', '/w/app']);
    assert.deepEqual(defs[0].env, { ELECTRON_RUN_AS_NODE: '1' });
    assert.equal(defs[0].version, '9.9.9');
  });

  it('one definition per local folder, named by folder; none for remote or virtual folders', () => {
    workspace.workspaceFolders = [folder('/w/a'), folder('/w/b'), folder('/repo', 'vscode-vfs')];
    const defs = register(context).mcp.provider!.provideMcpServerDefinitions();
    assert.deepEqual(defs.map((d) => [d.label, d.args[3]]), [['Flowlens traces (a)', '/w/a'], ['Flowlens traces (b)', '/w/b']]);
  });

  it('offers nothing in Restricted Mode, and fires a change when trust is granted or folders change', () => {
    workspace.isTrusted = false;
    const { mcp } = register(context);
    assert.deepEqual(mcp.provider!.provideMcpServerDefinitions(), []);
    let changes = 0;
    mcp.provider!.onDidChangeMcpServerDefinitions(() => changes++);
    workspace.isTrusted = true;
    fired.trust.at(-1)!();
    assert.equal(changes, 1);
    assert.equal(mcp.provider!.provideMcpServerDefinitions().length, 1);
    fired.folders.at(-1)!();
    assert.equal(changes, 2);
  });

  it('is absent (nothing registered, no error) on a host without the MCP API, as VS Code 1.100', () => {
    const api = vs.lm as Record<string, unknown>;
    const had = api.registerMcpServerDefinitionProvider;
    delete api.registerMcpServerDefinitionProvider;
    try {
      const reg = register(context);
      assert.equal(reg.mcp.registered, false);
      assert.equal(reg.mcp.provider, undefined);
      assert.equal(reg.length, 0);
      assert.equal(providers.length, 0);
    } finally {
      api.registerMcpServerDefinitionProvider = had;
    }
  });
});
