// The getting-started feature: registers the commands the welcome views and walkthrough link to.
import * as vscode from 'vscode';
import { BUILTIN_COMMANDS, COMMANDS } from '../commands';
import { registered, type Registered } from '../lifecycle';
import type { FlowlensServices } from '../services';
import { openDemo } from './openDemo';

/** Getting started: the commands the welcome views and the walkthrough link to (open the demo, settings). */
export function register(context: vscode.ExtensionContext, _services: FlowlensServices): Registered {
  return registered([
    vscode.commands.registerCommand(COMMANDS.openDemo, () => openDemo(context)),
    vscode.commands.registerCommand(COMMANDS.openSettings, () => vscode.commands.executeCommand(BUILTIN_COMMANDS.openSettings, '@ext:flowlens.flowlens')),
  ], {});
}
