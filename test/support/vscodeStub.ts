/**
 * A minimal stand-in for the `vscode` module so the bench (bench/views.ts) can time the real tree
 * providers' getChildren/getTreeItem in plain Node, and the unit tests can run host code without
 * VS Code. Import it before any module that imports `vscode`. Only what the providers touch;
 * everything else is a no-op. Shared test support lives in test/support/ (see also until.ts).
 */
import Module from 'node:module';

class EventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  event = (cb: (e: T) => void) => {
    this.listeners.push(cb);
    return { dispose: () => undefined };
  };
  fire(e: T): void {
    for (const l of this.listeners) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}
class TreeItem {
  [k: string]: unknown;
  constructor(public label?: unknown, public collapsibleState?: number) {}
}
class ThemeColor {
  constructor(public id: string) {}
}
class ThemeIcon {
  static File = new ThemeIcon('file');
  static Folder = new ThemeIcon('folder');
  constructor(public id: string, public color?: ThemeColor) {}
}
class MarkdownString {
  isTrusted?: boolean;
  supportThemeIcons?: boolean;
  supportHtml?: boolean;
  constructor(public value = '') {}
  appendMarkdown(s: string): this { this.value += s; return this; }
  appendText(s: string): this { this.value += s; return this; }
  appendCodeblock(s: string, lang = ''): this { this.value += `\n\`\`\`${lang}\n${s}\n\`\`\`\n`; return this; }
}
const uri = (p: string) => ({ fsPath: p, path: p, scheme: 'file', toString: () => `file://${p}`, with: () => uri(p) });
const noop = () => ({ dispose: () => undefined });
const stub: Record<string, unknown> = {
  EventEmitter, TreeItem, ThemeIcon, ThemeColor, MarkdownString,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  Uri: { file: uri, parse: (s: string) => uri(s.replace(/^file:\/\//, '')), joinPath: (b: { fsPath: string }, ...p: string[]) => uri([b.fsPath, ...p].join('/')) },
  Range: class { constructor(...a: unknown[]) { void a; } },
  Position: class { constructor(...a: unknown[]) { void a; } },
  Disposable: class { static from() { return { dispose: () => undefined }; } constructor(public dispose: () => void) {} },
  commands: { executeCommand: async () => undefined, registerCommand: noop },
  window: { createTreeView: noop, showInformationMessage: async () => undefined },
  workspace: { getConfiguration: () => ({ get: (_k: string, d?: unknown) => d }), workspaceFolders: [] },
  l10n: { t: (s: string) => s },
};
const proxy = new Proxy(stub, { get: (t, k: string) => (k in t ? t[k] : new Proxy(() => undefined, { get: () => noop })) });

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;
const M = Module as unknown as { _load: Loader };
const orig = M._load;
M._load = function (request: string, parent: unknown, isMain: boolean) {
  if (request === 'vscode') return proxy;
  return orig.call(this, request, parent, isMain);
};
