// The live OTLP receiver feature: runs server.ts while `flowlens.otel.receiver.enabled` is on in a trusted local workspace, with a status bar item and log lines.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { forNotification } from '../../core/render/egress/surfaces';
import { BUILTIN_COMMANDS, COMMANDS } from '../commands';
import { onSettingsChange, readConfig, type FlowlensConfig } from '../config';
import { registered, toDisposable, type Registered } from '../lifecycle';
import type { TraceServices } from '../services';
import type { TraceWatcher } from '../watch';
import { OtlpReceiver, RECEIVED_DIR, type ReceiverActivity, type ReceiverStats } from './server';

/** Settings that start, stop or restart the receiver. */
const KEYS: ReadonlyArray<keyof FlowlensConfig> = ['otel.receiver.enabled', 'otel.receiver.port', 'otel.receiver.maxBodyMB'];
/** Drops logged one by one; after that every 100th. */
const LOGGED_DROPS = 20;

/** What the receiver is doing (tests and the status bar read it). */
export interface ReceiverState {
  /** `127.0.0.1:<port>` while listening. */
  address?: string;
  port?: number;
  /** The workspace folder the received files go to. */
  folder?: string;
  stats?: ReceiverStats;
  /** Why it is not listening although asked to (Restricted Mode, virtual workspace, port in use …). */
  notListening?: string;
}

export interface OtelReceiverApi {
  otelReceiver: { state(): ReceiverState; settled(): Promise<void> };
}

/**
 * Registers the receiver: evaluated at start, on a change of its settings, on a grant of trust,
 * when folders change and by the Start/Stop command (a session override until the setting changes).
 * Never listens in Restricted Mode or without a `file:` workspace folder.
 */
export function register(_context: vscode.ExtensionContext, services: TraceServices, watcher?: TraceWatcher): Registered<OtelReceiverApi> {
  let receiver: OtlpReceiver | undefined;
  let running: { port: number; maxBodyMB: number; root: string; folderKey: string } | undefined;
  let override: boolean | undefined;
  let notListening: string | undefined;
  let chain: Promise<void> = Promise.resolve();
  let disposed = false;
  const known = new Set<string>();
  const item = vscode.window.createStatusBarItem('flowlens.otelReceiver', vscode.StatusBarAlignment.Left, 9);
  item.name = 'Flowlens OTLP Receiver';
  item.command = COMMANDS.showLog;
  let renderTimer: NodeJS.Timeout | undefined;

  const render = (): void => {
    renderTimer = undefined;
    if (!receiver || !running) { item.hide(); return; }
    const s = receiver.stats;
    const address = `127.0.0.1:${receiver.port ?? running.port}`;
    item.text = `$(broadcast) OTLP ${receiver.port ?? ''}`;
    const md = new vscode.MarkdownString(undefined, false);
    md.isTrusted = false;
    md.appendText(`Flowlens: receiving OTLP on ${address} (POST /v1/traces, OTLP/JSON)\n\n`);
    md.appendText(`${s.batches} batches, ${s.spans} spans written to ${s.file ? path.relative(running.root, s.file) : RECEIVED_DIR}\n\n`);
    md.appendText(`dropped: ${s.droppedRequests} requests${s.droppedSpans ? ` (${s.droppedSpans} spans)` : ''}`);
    item.tooltip = md;
    item.show();
  };
  const scheduleRender = (): void => { if (!renderTimer) renderTimer = setTimeout(render, 250); };

  const onActivity = (root: string, folderKey: string) => (a: ReceiverActivity): void => {
    const rel = (f: string): string => path.relative(root, f).split(path.sep).join('/');
    const stats = receiver?.stats;
    if (a.kind === 'accepted') {
      const first = !known.has(a.file);
      if (first) {
        known.add(a.file);
        services.log?.note(`OTLP receiver: writing received spans to ${rel(a.file)}`);
      }
      // The watcher sees the append too; telling it directly does not depend on the OS watcher.
      watcher?.schedule(folderKey, { kind: first ? 'create' : 'change', file: a.file });
    } else if (a.kind === 'dropped') {
      const n = stats?.droppedRequests ?? 0;
      if (n <= LOGGED_DROPS || n % 100 === 0) services.log?.note(`OTLP receiver: dropped a request (${a.status}: ${a.reason}${a.spans ? `, ${a.spans} spans` : ''}); ${n} dropped so far`);
    } else if (a.kind === 'rotated') {
      services.log?.note(`OTLP receiver: the received file is full; continuing in ${rel(a.file)}`);
    } else {
      services.log?.note(`OTLP receiver: ${RECEIVED_DIR} holds ${Math.round(a.stored / 1024 / 1024)} MiB of received spans, the limit; new batches are refused (rejectedSpans) until old received-*.otlp.jsonl files are deleted`);
    }
    scheduleRender();
  };

  const stop = async (why?: string): Promise<void> => {
    const r = receiver;
    receiver = undefined;
    running = undefined;
    render();
    if (r) {
      await r.stop();
      if (why) services.log?.note(`OTLP receiver stopped (${why})`);
    }
  };

  const evaluate = async (): Promise<void> => {
    if (disposed) return;
    const c = readConfig();
    const wanted = override ?? c['otel.receiver.enabled'];
    const folder = (vscode.workspace.workspaceFolders ?? []).find(f => f.uri.scheme === 'file');
    notListening = undefined;
    if (!wanted) return stop('turned off');
    // Restricted Mode: readConfig already reads the setting as off; the command cannot start it either.
    if (vscode.workspace.isTrusted !== true) { notListening = 'Restricted Mode: the OTLP receiver never runs in an untrusted workspace'; return stop('Restricted Mode'); }
    if (!folder) { notListening = 'no local workspace folder to write received spans into (virtual or empty workspace)'; return stop('no local folder'); }
    const port = Number.isInteger(c['otel.receiver.port']) && c['otel.receiver.port'] >= 0 && c['otel.receiver.port'] <= 65535 ? c['otel.receiver.port'] : 4318;
    const maxBodyMB = Math.min(100, Math.max(1, c['otel.receiver.maxBodyMB']));
    const root = folder.uri.fsPath;
    const folderKey = folder.uri.toString();
    if (receiver && running && running.port === port && running.maxBodyMB === maxBodyMB && running.root === root) return;
    await stop(receiver ? 'settings changed' : undefined);
    const r = new OtlpReceiver({ root, port, maxBodyBytes: maxBodyMB * 1024 * 1024, onActivity: onActivity(root, folderKey) });
    try {
      const actual = await r.start();
      if (disposed) { await r.stop(); return; }
      receiver = r;
      running = { port, maxBodyMB, root, folderKey };
      services.log?.note(`Flowlens: receiving OTLP on 127.0.0.1:${actual} (POST /v1/traces, OTLP/JSON up to ${maxBodyMB} MB per request) into ${folder.name}/${RECEIVED_DIR}`);
      render();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE'
        ? `port ${port} on 127.0.0.1 is in use (another Flowlens window, a Collector or an OTLP viewer?). Set flowlens.otel.receiver.port to another port, or 0 for any free port.`
        : `${code ?? ''} ${e instanceof Error ? e.message : String(e)}`.trim();
      notListening = why;
      services.log?.error(`OTLP receiver could not listen on 127.0.0.1:${port}: ${why}`);
      void vscode.window.showWarningMessage(`Flowlens could not start the OTLP receiver: ${forNotification(why, undefined, 300)}`, 'Open Settings').then(a => {
        if (a) void vscode.commands.executeCommand(BUILTIN_COMMANDS.openSettings, 'flowlens.otel.receiver');
      });
    }
  };
  const reevaluate = (): Promise<void> => (chain = chain.then(evaluate, evaluate));

  const disposables: vscode.Disposable[] = [
    item,
    onSettingsChange(KEYS, () => { override = undefined; void reevaluate(); }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void reevaluate()),
    vscode.commands.registerCommand(COMMANDS.toggleOtlpReceiver, async () => {
      override = !receiver;
      await reevaluate();
      if (override && !receiver && notListening && vscode.workspace.isTrusted !== true) void vscode.window.showInformationMessage(`Flowlens: ${forNotification(notListening)}`);
      else if (!override) void vscode.window.showInformationMessage('Flowlens: OTLP receiver stopped for this window.');
      else if (receiver) void vscode.window.showInformationMessage(`Flowlens: receiving OTLP on 127.0.0.1:${receiver.port ?? ''}`);
    }),
    toDisposable(() => {
      disposed = true;
      clearTimeout(renderTimer);
      void stop();
    }),
  ];
  void reevaluate();

  const api: OtelReceiverApi = {
    otelReceiver: {
      state: () => ({
        address: receiver?.port !== undefined ? `127.0.0.1:${receiver.port}` : undefined,
        port: receiver?.port,
        folder: running?.root,
        stats: receiver ? { ...receiver.stats } : undefined,
        notListening,
      }),
      settled: async () => { let seen: Promise<void> | undefined; while (seen !== chain) { seen = chain; await seen; } },
    },
  };
  return registered(disposables, api);
}
