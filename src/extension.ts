import * as vscode from 'vscode';
import { registerViews, type ViewsApi } from './views';
import { registerAi, type AiApi } from './views/ai';
import { registerDashboard, type DashboardApi } from './views/dashboard';

/** What `activate` returns: each feature's handles (tests and other extensions use `services`). */
export interface FlowlensApi extends ViewsApi {
  ai: AiApi;
  dashboard: DashboardApi;
}

/** Composition root: each feature registers itself (style.md habit 1). */
export function activate(context: vscode.ExtensionContext): FlowlensApi {
  const views = registerViews(context);
  const ai = registerAi(context, views.services);
  const dashboard = registerDashboard(context, views.services);
  return { ...views, ai, dashboard };
}

export function deactivate(): void {}
