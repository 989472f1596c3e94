// The OTLP export feature: registers `flowlens.exportOtlp` (Runs view run menu, command palette, the dashboard's OpenTelemetry button).
import * as vscode from 'vscode';
import { COMMANDS } from '../commands';
import { registered, type Registered } from '../lifecycle';
import type { FlowlensServices } from '../services';
import { exportRunOtlp } from './exportRun';

/** `flowlens.exportOtlp` (exportRun.ts): returns what it wrote or sent, for the dashboard and tests. */
export function register(context: vscode.ExtensionContext, services: FlowlensServices): Registered {
  return registered([
    vscode.commands.registerCommand(COMMANDS.exportOtlp, (arg?: unknown) => exportRunOtlp(context, services, arg)),
  ], {});
}
