// The composition root: creates the log and the services, then lets each feature of src/host register itself.
import type * as vscode from 'vscode';
import * as chat from './host/chat/register';
import * as dashboard from './host/dashboard/register';
import * as demo from './host/demo/register';
import * as editor from './host/editor/register';
import * as failures from './host/failures/register';
import { toDisposable } from './host/lifecycle';
import { registerLog, type FlowlensLog } from './host/log';
import * as mcp from './host/mcp/register';
import * as otelExport from './host/otelExport/register';
import * as otelReceiver from './host/otelReceiver/register';
import { registerOpenLocation } from './host/open';
import * as runs from './host/runs/register';
import { TraceServices, type FlowlensServices } from './host/services';
import * as statusBar from './host/statusBar/register';
import * as telemetry from './host/telemetry/register';
import * as testing from './host/testing/register';
import { TraceWatcher } from './host/watch';

/** The shared services and the handles of the editor features (tests and other extensions use them). */
export interface ViewsApi {
  services: FlowlensServices;
  runsProvider: runs.RunsApi['runsProvider'];
  runsView: runs.RunsApi['runsView'];
  failuresProvider: failures.FailuresApi['failuresProvider'];
  /** The Telemetry view: Grain/Assay queues and SQLite stores with their rollups. */
  telemetryProvider: telemetry.TelemetryApi['telemetryProvider'];
  telemetryView: telemetry.TelemetryApi['telemetryView'];
  statusBar: statusBar.StatusBarApi['statusBar'];
  /** Output → Flowlens: problems found while reading traces. */
  log: FlowlensLog;
}

export type { AiApi } from './host/chat/register';
export type { DashboardApi } from './host/dashboard/register';
export type { McpApi } from './host/mcp/register';

/** What `activate` returns: each feature's handles. */
export interface FlowlensApi extends ViewsApi {
  ai: chat.AiApi;
  dashboard: dashboard.DashboardApi;
  /** The `flowlens mcp` server definitions offered to VS Code (≥ 1.101; absent before). */
  mcp: mcp.McpApi;
  /** Flows in the Test Explorer: the test controller's feature and what it published (`tests` is undefined while `flowlens.testExplorer.enabled` is off). */
  testing: testing.TestingApi['testing'];
  /** The live OTLP receiver (`flowlens.otel.receiver.enabled`): its address and counts while it listens. */
  otelReceiver: otelReceiver.OtelReceiverApi['otelReceiver'];
  /**
   * How long activation took before any trace was read (traces load after `activate` returns):
   * `loadMs` = evaluating the bundle, `activateMs` = this function. Reported by the in-host suite.
   */
  activation: { loadMs?: number; activateMs: number };
}

/**
 * The composition root, and nothing else: it owns the log and the services (one TraceWorkspace per
 * folder, kept live by the watcher) and lets each feature register itself. Each feature folder of
 * src/host has a `register(ctx, services)` returning its disposables (docs/decisions.md, "Host by
 * feature"); every command id is in src/host/commands.ts.
 */
export function activate(context: vscode.ExtensionContext): FlowlensApi {
  const t0 = performance.now();
  const log = registerLog(context); // Output → Flowlens and flowlens.showLog
  const services = new TraceServices(context, log);
  const watcher = new TraceWatcher(services);
  context.subscriptions.push(services, watcher, registerOpenLocation(services));

  const runsFeature = runs.register(context, services);
  const failuresFeature = failures.register(context, services);
  const telemetryFeature = telemetry.register(context, services);
  const statusBarFeature = statusBar.register(context, services);
  const editorFeature = editor.register(context, services);
  const chatFeature = chat.register(context, services);
  const dashboardFeature = dashboard.register(context, services);
  const demoFeature = demo.register(context, services);
  const mcpFeature = mcp.register(context);
  const testingFeature = testing.register(context, services);
  const otelReceiverFeature = otelReceiver.register(context, services, watcher);
  context.subscriptions.push(...otelExport.register(context, services));
  context.subscriptions.push(...runsFeature, ...failuresFeature, ...telemetryFeature, ...statusBarFeature, ...editorFeature, ...chatFeature, ...dashboardFeature, ...demoFeature, ...mcpFeature, ...testingFeature, ...otelReceiverFeature);

  // Reading traces never happens inside activate(): discovery and parsing start on the next turn
  // of the event loop, with progress in the status bar.
  const start = setTimeout(() => { services.reload(); statusBarFeature.statusBar.render(); }, 0);
  context.subscriptions.push(toDisposable(() => clearTimeout(start)));

  const loadStart = (globalThis as { __flowlensLoadStart?: number }).__flowlensLoadStart;
  return {
    services,
    log,
    runsProvider: runsFeature.runsProvider,
    runsView: runsFeature.runsView,
    failuresProvider: failuresFeature.failuresProvider,
    telemetryProvider: telemetryFeature.telemetryProvider,
    telemetryView: telemetryFeature.telemetryView,
    statusBar: statusBarFeature.statusBar,
    ai: chatFeature.ai,
    dashboard: dashboardFeature.dashboard,
    mcp: mcpFeature.mcp,
    testing: testingFeature.testing,
    otelReceiver: otelReceiverFeature.otelReceiver,
    activation: { loadMs: loadStart !== undefined ? loadedAt - loadStart : undefined, activateMs: performance.now() - t0 },
  };
}

/** When the bundle finished evaluating (the last module body to run). */
const loadedAt = performance.now();

export function deactivate(): void {}
