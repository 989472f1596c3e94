import * as vscode from 'vscode';
import { registerViews, type ViewsApi } from './host';
import { registerAi, type AiApi } from './host/chat/register';
import { registerDashboard, type DashboardApi } from './host/dashboard/register';

/** What `activate` returns: each feature's handles (tests and other extensions use `services`). */
export interface FlowlensApi extends ViewsApi {
  ai: AiApi;
  dashboard: DashboardApi;
  /**
   * How long activation took before any trace was read (traces load after `activate` returns):
   * `loadMs` = evaluating the bundle, `activateMs` = this function. Reported by the in-host suite.
   */
  activation: { loadMs?: number; activateMs: number };
}

/** Composition root: each feature registers itself (docs/style.md habit 1). */
export function activate(context: vscode.ExtensionContext): FlowlensApi {
  const t0 = performance.now();
  const views = registerViews(context);
  const ai = registerAi(context, views.services);
  const dashboard = registerDashboard(context, views.services);
  const start = (globalThis as { __flowlensLoadStart?: number }).__flowlensLoadStart;
  const activation = { loadMs: start !== undefined ? loadedAt - start : undefined, activateMs: performance.now() - t0 };
  return { ...views, ai, dashboard, activation };
}

/** When the bundle finished evaluating (the last module body to run). */
const loadedAt = performance.now();

export function deactivate(): void {}
