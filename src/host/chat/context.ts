// Which run and flow a chat request, LM tool or Ask command is about: resolves a run reference to the run, its folder, its previous run and its AskContext.
import * as path from 'path';
import * as vscode from 'vscode';
import type { AskContext } from '../../core/render/ask';
import { askContextFor } from '../../core/render/askArtifacts';
import type { Catalog } from '../../core/read/catalog';
import type { Run } from '../../core/model/types';
import { previousRun as previousRunOf } from '../../core/analyze/queries';
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

/**
 * The run a selector names (the one grammar of analyze/queries.ts: id, `latest`, `previous`, `@N`,
 * unique prefix — as the CLI's `--run`), else the latest (optionally in one folder).
 */
export function runOrLatest(services: FlowlensServices, runId?: string, folderKey?: string): RunRef | undefined {
  return runId ? services.findRun(runId, folderKey) : services.latestRun(folderKey);
}

/** The run before `ref` in its folder (analyze/queries.ts `previousRun`: same dialect, started before it), for `/diff`. */
export function previousRun(services: FlowlensServices, ref: RunRef): Run | undefined {
  return previousRunOf(runsOf(services, ref.folderKey).map((r) => r.run), ref.run);
}

/** A file-name-safe form of an id. */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || '_';
}

/**
 * Where generated files go (issue "AI hand-off": `.autodev/ask.md` and the run folder).
 * - Trusted workspace: `<folder>/.autodev/` and, for a flowscribe v1 run read from
 *   `.autodev/runs/<id>/`, that run folder too. flowscribe 0.1 run folders (`runs/<ts>/`) are
 *   never written: they hold the producer's own summary.md/ask.md, which we must not overwrite.
 * - Restricted mode (untrusted workspace) or no folder: the extension's workspace storage only,
 *   so Flowlens never modifies an untrusted workspace.
 * The first directory is the primary one (opened and attached to chat).
 */
export function outputDirs(context: vscode.ExtensionContext, services: FlowlensServices, ref: RunRef): vscode.Uri[] {
  const folder = services.folder(ref.folderKey);
  if (!folder || !vscode.workspace.isTrusted) {
    const base = context.storageUri ?? context.globalStorageUri;
    return [vscode.Uri.joinPath(base, 'ask', safeName(ref.run.id))];
  }
  const dirs = [vscode.Uri.joinPath(folder.uri, '.autodev')];
  const runDir = path.dirname(ref.run.primarySource);
  const isV1RunFolder = path.basename(path.dirname(runDir)) === 'runs' && path.basename(path.dirname(path.dirname(runDir))) === '.autodev';
  if (ref.run.dialect === 'flowscribe-v1' && isV1RunFolder) dirs.push(vscode.Uri.file(runDir));
  return dirs;
}
