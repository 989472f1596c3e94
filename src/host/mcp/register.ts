// The MCP feature: offers `flowlens mcp` (src/cli/mcp/server.ts) to VS Code's MCP support, so
// agent mode and any MCP-aware tool in VS Code find Flowlens without a mcp.json (issue 17 item 2).
import * as vscode from 'vscode';
import { registered, type Registered } from '../lifecycle';

/** `contributes.mcpServerDefinitionProviders[].id` in package.json. */
export const MCP_PROVIDER_ID = 'flowlens.mcp';

/**
 * The slice of VS Code ≥ 1.101's stable MCP API used here, typed locally so the extension still
 * builds and runs on hosts without it (`engines.vscode` is ^1.100: there the feature is absent).
 */
export interface McpStdioDefinition {
  readonly label: string;
  cwd?: vscode.Uri;
  command: string;
  args: string[];
  env: Record<string, string | number | null>;
  version?: string;
}
export interface McpProvider {
  readonly onDidChangeMcpServerDefinitions: vscode.Event<void>;
  provideMcpServerDefinitions(token?: vscode.CancellationToken): McpStdioDefinition[];
}
type McpStdioCtor = new (label: string, command: string, args?: string[], env?: Record<string, string | number | null>, version?: string) => McpStdioDefinition;
interface McpLm {
  registerMcpServerDefinitionProvider?(id: string, provider: McpProvider): vscode.Disposable;
}

/** Handles for tests: the provider, and whether this host took it. */
export interface McpApi {
  /** True when the host has the MCP API (VS Code ≥ 1.101) and the provider is registered. */
  registered: boolean;
  provider?: McpProvider;
}

/**
 * One stdio server definition per trusted, local (`file:`) workspace folder: the extension's own
 * Node-runnable CLI, `node <extension>/dist/cli.js mcp --root <folder>`, run by the extension
 * host's executable (`process.execPath`: Node in code-server and VS Code Server, Electron on the
 * desktop — hence ELECTRON_RUN_AS_NODE=1). None in Restricted Mode: a workspace the user has not
 * trusted is not offered to an agent. Folders on other schemes (vscode-vfs, …) are skipped: the
 * server reads the file system. Fires a change when folders or trust change.
 */
export function register(context: vscode.ExtensionContext): Registered<{ mcp: McpApi }> {
  const mcp: McpApi = { registered: false };
  const Def = (vscode as unknown as { McpStdioServerDefinition?: McpStdioCtor }).McpStdioServerDefinition;
  const lm = vscode.lm as unknown as McpLm | undefined;
  if (!Def || typeof lm?.registerMcpServerDefinitionProvider !== 'function') return registered([], { mcp });

  const changed = new vscode.EventEmitter<void>();
  const cli = context.asAbsolutePath('dist/cli.js');
  const version = String((context.extension?.packageJSON as { version?: unknown } | undefined)?.version ?? '');
  const provider: McpProvider = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => {
      if (!vscode.workspace.isTrusted) return [];
      const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
      return folders.map((f) => {
        const label = folders.length > 1 ? `Flowlens traces (${f.name})` : 'Flowlens traces';
        const def = new Def(label, process.execPath, [cli, 'mcp', '--root', f.uri.fsPath], { ELECTRON_RUN_AS_NODE: '1' }, version || undefined);
        def.cwd = f.uri;
        return def;
      });
    },
  };
  const disposables: vscode.Disposable[] = [
    changed,
    vscode.workspace.onDidChangeWorkspaceFolders(() => changed.fire()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()),
  ];
  try {
    disposables.push(lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, provider));
    mcp.registered = true;
    mcp.provider = provider;
  } catch {
    // A host that has the API but not our contribution (or refuses it): the feature is absent.
  }
  return registered(disposables, { mcp });
}
