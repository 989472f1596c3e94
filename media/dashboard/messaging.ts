/**
 * The only place that talks to VS Code: acquireVsCodeApi, posting messages, the view state kept
 * across reloads, and host messages checked with isHostMessage. acquireVsCodeApi may be called
 * once per webview, so it is called here, once.
 */
import { isHostMessage, type HostMessage, type WebviewMessage } from './types';

interface VsCodeApi {
  postMessage(msg: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

export function post(msg: WebviewMessage): void {
  vscode.postMessage(msg);
}

/** The view state saved by an earlier load of this panel, if any (not trusted: fields are optional). */
export function savedState(): unknown {
  return vscode.getState();
}

export function persist(state: unknown): void {
  vscode.setState(state);
}

export function onHostMessage(handler: (msg: HostMessage) => void): void {
  window.addEventListener('message', (e: MessageEvent) => {
    if (isHostMessage(e.data)) handler(e.data);
  });
}
