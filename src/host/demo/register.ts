// The getting-started feature: registers the commands the welcome views and walkthrough link to.
import * as vscode from 'vscode';
import { BUILTIN_COMMANDS, COMMANDS } from '../commands';
import { registered, type Registered } from '../lifecycle';
import type { FlowlensServices } from '../services';
import { openDemo } from './openDemo';

/** Getting started: the commands the welcome views and the walkthrough link to (open the demo, settings, the guide to producing traces). */
export function register(context: vscode.ExtensionContext, _services: FlowlensServices): Registered {
  return registered([
    vscode.commands.registerCommand(COMMANDS.openDemo, () => openDemo(context)),
    vscode.commands.registerCommand(COMMANDS.openSettings, () => vscode.commands.executeCommand(BUILTIN_COMMANDS.openSettings, '@ext:flowlens.flowlens')),
    // Why a command: a welcome view or walkthrough link cannot name a file inside the installed
    // extension; the guide ships in the .vsix (.vscodeignore) and opens rendered.
    vscode.commands.registerCommand(COMMANDS.openProducingTraces, () => vscode.commands.executeCommand(BUILTIN_COMMANDS.markdownPreview, vscode.Uri.joinPath(context.extensionUri, 'docs', 'producing-traces.md'))),
  ], {});
}
