// The editor adornments feature: registers decorations, CodeLens, the failure-line code action and ra.yaml/flows.yaml diagnostics.
import * as vscode from 'vscode';
import { registered, type Registered } from '../lifecycle';
import type { TraceServices } from '../services';
import { CatalogDiagnostics } from './catalogDiagnostics';
import { FailureCodeActions } from './codeActions';
import { FlowCodeLensProvider } from './codeLens';
import { FailureDecorations } from './decorations';
import { TraceLocations } from './traceLocations';

/**
 * Editor adornments: inline failure decorations, flow CodeLens, *Ask Copilot about this failure*
 * at a failure line (codeActions.ts), and ra.yaml / flows.yaml problems as diagnostics.
 * Decorations, CodeLens and the code action read one file-keyed index of the traces (traceLocations.ts).
 */
export function register(_context: vscode.ExtensionContext, services: TraceServices): Registered {
  const index = new TraceLocations(services);
  const codeLens = new FlowCodeLensProvider(index);
  return registered([
    index,
    codeLens,
    vscode.languages.registerCodeLensProvider({ scheme: 'file' }, codeLens),
    new FailureDecorations(index),
    vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, new FailureCodeActions(index), FailureCodeActions.metadata),
    new CatalogDiagnostics(services),
  ], {});
}
