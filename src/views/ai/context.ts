import * as vscode from 'vscode';
import type { AskContext } from '../../trace/ask';
import { askContextFor } from '../../trace/askArtifacts';
import type { Catalog } from '../../trace/catalog';
import type { Run } from '../../trace/model';
import type { FlowlensServices, RunRef } from '../services';

/** The catalog of a folder's TraceWorkspace, read structurally (the workspace owns it). */
export function catalogOf(services: FlowlensServices, folderKey: string): Catalog | undefined {
  const ws = services.workspaces.get(folderKey) as unknown as { catalog?: Catalog } | undefined;
  return ws?.catalog;
}

/** An AskContext for one folder: ra.yaml/flows.yaml from its catalog, paths mapped by the services. */
export function askContext(services: FlowlensServices, folderKey: string, extra: { flowId?: string; budgetBytes?: number } = {}): AskContext {
  const folder = services.folder(folderKey);
  return askContextFor(catalogOf(services, folderKey), {
    root: folder?.uri.fsPath,
    resolve: (file) => ({ path: services.resolveFile(folderKey, file).uri?.fsPath }),
    ...extra,
  });
}

/** Runs of a folder (or all), newest first. */
export function runsOf(services: FlowlensServices, folderKey?: string): RunRef[] {
  return services.allRuns().filter((r) => !folderKey || r.folderKey === folderKey);
}

/** A run by id, else the latest (optionally in one folder). */
export function runOrLatest(services: FlowlensServices, runId?: string, folderKey?: string): RunRef | undefined {
  return runId ? services.findRun(runId, folderKey) : services.latestRun(folderKey);
}

/** The run started just before `run` in the same folder (for `/diff`). */
export function previousRun(services: FlowlensServices, ref: RunRef): Run | undefined {
  const runs = runsOf(services, ref.folderKey)
    .map((r) => r.run)
    .filter((r) => r !== ref.run && (r.started ?? -Infinity) <= (ref.run.started ?? Infinity))
    .sort((a, b) => (b.started ?? -Infinity) - (a.started ?? -Infinity));
  return runs[0];
}

/** A file-name-safe form of an id. */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || '_';
}

/** Where generated files go: the extension's workspace storage (never the app's own run folder). */
export function outputDir(context: vscode.ExtensionContext, runId: string): vscode.Uri {
  const base = context.storageUri ?? context.globalStorageUri;
  return vscode.Uri.joinPath(base, 'ask', safeName(runId));
}
