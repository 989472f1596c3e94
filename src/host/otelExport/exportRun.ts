// `flowlens.exportOtlp`: a run as OpenTelemetry (OTLP/JSON) — saved to a file, or POSTed to `flowlens.otel.endpoint` — redacted like the CLI's export.
import * as vscode from 'vscode';
import { toOtlp, otlpSpanCount, type OtlpTraceRequest } from '../../core/render/otlp';
import { OtlpSendError, otlpHeaders, sendOtlp, shownUrl, tracesUrl } from '../../core/render/otlpSend';
import { forLabel, forNotification } from '../../core/render/egress/surfaces';
import { pickRun } from '../chat/prompt';
import { catalogOf, runsOf } from '../chat/context';
import { readConfig } from '../config';
import { announceWritten } from '../open';
import { redactorForRuns } from '../redaction';
import { toRunFlow, type ItemArg } from '../runs/itemArg';
import type { FlowlensServices, RunRef } from '../services';

/** Arguments of `flowlens.exportOtlp`: a Runs item, or `{runId, folderKey}`; `to`/`file` skip the questions (the dashboard, tests). */
export interface ExportOtlpArgs {
  runId?: string;
  folderKey?: string;
  /** `file` (save) or `send` (POST to `flowlens.otel.endpoint`); asked when absent and an endpoint is set. */
  to?: 'file' | 'send';
  /** Absolute path to write (no save dialog). */
  file?: string;
}

/** What the command did (undefined when cancelled or it failed; the failure was shown). */
export type ExportOtlpResult =
  | { kind: 'file'; runId: string; path: string; spans: number }
  | { kind: 'sent'; runId: string; url: string; spans: number; rejected: number; requests: number };

/** Validated arguments: a tree item's run, plus the plain fields; anything else is dropped. */
export function asExportArgs(v: unknown): ExportOtlpArgs {
  if (!v || typeof v !== 'object') return {};
  const o = v as Record<string, unknown>;
  const str = (x: unknown): string | undefined => (typeof x === 'string' && x.length > 0 && x.length <= 4096 ? x : undefined);
  const item = toRunFlow(o as ItemArg);
  return {
    runId: item.runId || undefined,
    folderKey: item.folderKey,
    to: o.to === 'file' || o.to === 'send' ? o.to : undefined,
    file: str(o.file),
  };
}

/** A file name from a run id: id characters only. */
export function otlpFileName(runId: string): string {
  return `${runId.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '_').slice(0, 120) || 'run'}.otlp.json`;
}

/**
 * The run as an OTLP/JSON `ExportTraceServiceRequest` (src/core/render/otlp.ts, the CLI's
 * renderer), through the egress policy the CLI applies: ra.yaml `privacy` keys and credential
 * shapes, and every value redacted under a key anywhere in the folder's runs scrubbed everywhere.
 */
export function otlpRequestFor(services: FlowlensServices, ref: RunRef, version?: string): OtlpTraceRequest {
  const red = redactorForRuns([catalogOf(services, ref.folderKey)], runsOf(services, ref.folderKey).map((r) => r.run));
  return toOtlp([ref.run], { redactor: red, version });
}

/**
 * `flowlens.exportOtlp`: picks the run (the item, args, or a quick pick), then — when
 * `flowlens.otel.endpoint` is set (never in Restricted Mode) — asks *Save as file…* or *Send to
 * <endpoint>*; without an endpoint it goes straight to the save dialog. Every outcome is one
 * notification (forNotification; the endpoint shown without credentials or query).
 */
export async function exportRunOtlp(context: vscode.ExtensionContext, services: FlowlensServices, raw: unknown): Promise<ExportOtlpResult | undefined> {
  const args = asExportArgs(raw);
  const ref = await pickRun(services, { runId: args.runId, folderKey: args.folderKey }, 'Flowlens: export which run as OpenTelemetry (OTLP)?');
  if (!ref) return undefined;
  const folder = services.folder(ref.folderKey);
  const endpoint = readConfig(folder?.uri)['otel.endpoint'].trim();
  let to = args.to;
  if (to === 'send' && !endpoint) {
    void vscode.window.showWarningMessage('Flowlens: set flowlens.otel.endpoint (in a trusted workspace) to send runs to an OpenTelemetry collector.');
    return undefined;
  }
  let url: URL | undefined;
  if (endpoint && to !== 'file') {
    try {
      url = tracesUrl(endpoint, 'flowlens.otel.endpoint');
    } catch {
      // Not the value itself: a malformed URL may still hold a key.
      void vscode.window.showErrorMessage('Flowlens: flowlens.otel.endpoint must be an http(s) URL such as http://127.0.0.1:4318 (a collector\'s OTLP/HTTP port).');
      return undefined;
    }
  }
  if (!to) {
    if (!url) to = 'file';
    else {
      const items: (vscode.QuickPickItem & { to: 'file' | 'send' })[] = [
        { label: '$(save) Save as file…', description: 'OTLP/JSON (.otlp.json)', to: 'file' },
        { label: `$(cloud-upload) Send to ${forLabel(shownUrl(url))}`, description: 'OTLP/HTTP JSON (flowlens.otel.endpoint)', to: 'send' },
      ];
      const pick = await vscode.window.showQuickPick(items, { title: `Flowlens: export run ${forLabel(ref.run.id)} as OpenTelemetry (OTLP)` });
      if (!pick) return undefined;
      to = pick.to;
    }
  }
  const version = (context.extension?.packageJSON as { version?: string } | undefined)?.version;
  const req = otlpRequestFor(services, ref, version);
  return to === 'send' && url ? send(ref, req, url) : save(ref, req, folder?.uri, args.file);
}

async function save(ref: RunRef, req: OtlpTraceRequest, folder: vscode.Uri | undefined, file: string | undefined): Promise<ExportOtlpResult | undefined> {
  const name = otlpFileName(ref.run.id);
  const target = file !== undefined ? vscode.Uri.file(file) : await vscode.window.showSaveDialog({
    title: 'Export run as OpenTelemetry (OTLP/JSON)',
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
    filters: { 'OTLP/JSON': ['json'] },
  });
  if (!target) return undefined;
  try {
    await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(req, null, 2) + '\n', 'utf8'));
  } catch (e) {
    void vscode.window.showErrorMessage(`Flowlens: cannot write ${forNotification(target.fsPath)}: ${forNotification(errText(e))}`);
    return undefined;
  }
  const spans = otlpSpanCount(req);
  // The run id is trace text: no link can form from it in the message.
  void announceWritten(`Flowlens: exported run ${forNotification(ref.run.id)} (${spans} span${spans === 1 ? '' : 's'}) as OTLP/JSON to ${forNotification(target.fsPath)}.`, target, folder);
  return { kind: 'file', runId: ref.run.id, path: target.fsPath, spans };
}

async function send(ref: RunRef, req: OtlpTraceRequest, url: URL): Promise<ExportOtlpResult | undefined> {
  const shown = shownUrl(url);
  try {
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Flowlens: sending run ${forNotification(ref.run.id)} to ${forNotification(shown)}…` },
      () => sendOtlp(req, url, { headers: otlpHeaders() }),
    );
    const sent = r.spans - r.rejected;
    const said = r.messages.length ? ` The receiver said: ${forNotification(r.messages[0])}` : '';
    const msg = `Flowlens: sent ${sent} span${sent === 1 ? '' : 's'} of run ${forNotification(ref.run.id)} to ${forNotification(shown)} (HTTP ${r.status}, ${r.requests} request${r.requests === 1 ? '' : 's'}).`;
    if (r.rejected) void vscode.window.showWarningMessage(`${msg} It rejected ${r.rejected} of ${r.spans}.${said}`);
    else void vscode.window.showInformationMessage(`${msg}${said}`);
    return { kind: 'sent', runId: ref.run.id, url: shown, spans: r.spans, rejected: r.rejected, requests: r.requests };
  } catch (e) {
    void vscode.window.showErrorMessage(`Flowlens: could not send run ${forNotification(ref.run.id)}: ${forNotification(errText(e), undefined, 300)}`);
    return undefined;
  }
}

function errText(e: unknown): string {
  return e instanceof OtlpSendError || e instanceof Error ? e.message : String(e);
}
