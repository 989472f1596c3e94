// What the trust-surface tests need beyond test/support/vscodeStub.ts: recorders for notifications,
// quick picks and opened documents, the chat and LM classes, a settable trust flag and settings.
// Import right after test/support/vscodeStub and before any src module (esbuild evaluates imports in
// order, and the bundle's one `vscode` namespace — esbuild.mjs, builtins-once — copies the stub's
// keys when the first src module importing it is evaluated).
import '../../support/vscodeStub';
import { createRequire } from 'node:module';

/** The stub module itself (a Proxy over a plain object: assignments land on the object). */
export const vs = createRequire(__filename)('vscode') as Record<string, any>;

/** Every call to a `show*Message`: kind, message, options (modal…) and buttons. */
export interface Shown {
  kind: 'warning' | 'information' | 'error';
  message: string;
  options?: { modal?: boolean; detail?: string };
  items: string[];
}

export const recorded = {
  shown: [] as Shown[],
  quickPicks: [] as { items: { label: string; description?: string; detail?: string }[]; options?: unknown }[],
  opened: [] as string[],
  /** The button the next `show*Message` answers with (then reset to undefined). */
  answer: undefined as string | undefined,
  reset(): void {
    this.shown.length = 0;
    this.quickPicks.length = 0;
    this.opened.length = 0;
    this.answer = undefined;
  },
};

function shower(kind: Shown['kind']) {
  return async (message: string, ...rest: unknown[]) => {
    let options: Shown['options'];
    if (rest.length && rest[0] && typeof rest[0] === 'object') options = rest.shift() as Shown['options'];
    recorded.shown.push({ kind, message, options, items: rest as string[] });
    const a = recorded.answer;
    recorded.answer = undefined;
    return a;
  };
}

/** Current settings (`flowlens.` keys without the prefix) and trust. */
export const settings = new Map<string, unknown>();

const window = vs.window as Record<string, unknown>;
window.showWarningMessage = shower('warning');
window.showInformationMessage = shower('information');
window.showErrorMessage = shower('error');
window.showQuickPick = async (items: { label: string }[], options?: unknown) => {
  recorded.quickPicks.push({ items, options });
  return undefined;
};
window.showOpenDialog = async () => undefined;
window.showTextDocument = async () => ({ revealRange: () => undefined });

const workspace = vs.workspace as Record<string, unknown>;
workspace.isTrusted = false;
workspace.getConfiguration = () => ({
  get: (k: string, d?: unknown) => (settings.has(k) ? settings.get(k) : d),
  inspect: (k: string) => ({ key: k, workspaceValue: settings.get(k) }),
});
workspace.openTextDocument = async (uri: { fsPath: string }) => {
  recorded.opened.push(uri.fsPath);
  return { lineCount: 100, lineAt: () => ({ range: {} }) };
};

class LanguageModelTextPart {
  constructor(public value: string) {}
}
class LanguageModelToolResult {
  constructor(public content: LanguageModelTextPart[]) {}
}
vs.LanguageModelTextPart = LanguageModelTextPart;
vs.LanguageModelToolResult = LanguageModelToolResult;
vs.LanguageModelChatMessage = { User: (s: string) => ({ role: 'user', content: s }) };
vs.TextEditorRevealType = { InCenter: 2 };

/** The handler the participant registered (chat.createChatParticipant). */
export const chat: { handler?: (...a: unknown[]) => Promise<unknown> } = {};
vs.chat = {
  createChatParticipant: (_id: string, h: (...a: unknown[]) => Promise<unknown>) => {
    chat.handler = h;
    return { dispose: () => undefined };
  },
};
