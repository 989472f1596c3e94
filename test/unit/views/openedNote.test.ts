// Issue 16 (round 2), "opening a failure from an older run shows nothing at the line": a click
// on a failure carries its note (open.ts `note`), and once the editor is open the note is drawn
// at that line (decorations.ts) — replacing the latest run's note there — until the user moves
// off the line, edits the document or switches editors. Also: an esper-lite failure (no source
// location) in the Failures view opens its own line of the trace file with that note.
// Under the bench's `vscode` stub plus recorders for decorations and editor events.
import '../../support/vscodeStub';
import { vs } from './vscodeExtras';
import './decorationStub';
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { COMMANDS } from '../../../src/host/commands';
import { FailureDecorations } from '../../../src/host/editor/decorations';
import type { TraceLocations, LineFailure } from '../../../src/host/editor/traceLocations';
import { openLocation } from '../../../src/host/open';
import type { TraceServices } from '../../../src/host/services';
import { FailuresProvider, type FailureNode } from '../../../src/host/failures/failuresView';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { oneFolderServices } from '../../support/services';

class Emitter<T> {
  private ls: ((e: T) => void)[] = [];
  event = (l: (e: T) => void) => {
    this.ls.push(l);
    return { dispose: () => { this.ls = this.ls.filter((x) => x !== l); } };
  };
  fire(e: T): void { for (const l of [...this.ls]) l(e); }
}

const ROOT = path.resolve('test/fixtures/demo-app');
const FETCHER = path.join(ROOT, 'trader', 'data', 'fetcher.py');

describe('views: the note of a failure opened from any run (issue 16)', () => {
  const saved = new Map<string, unknown>();
  const activeEditor = new Emitter<unknown>();
  const selection = new Emitter<unknown>();
  const docChange = new Emitter<unknown>();
  /** decoration type key → options last set on the editor. */
  const drawn = new Map<number, { range: unknown; renderOptions?: { after?: { contentText?: string } } }[]>();
  let typeKeys = 0;
  const uri = (p: string) => ({ fsPath: p, path: p, scheme: 'file', toString: () => `file://${p}` });
  const editor = {
    document: { uri: uri(FETCHER), lineCount: 100, lineAt: () => ({ range: {} }) },
    setDecorations: (t: { key: number }, opts: never[]) => drawn.set(t.key, opts),
    revealRange: () => undefined,
  };
  let decorations: FailureDecorations;
  const latest: LineFailure = { zeroBasedLine: 14, text: 'DATA.EMPTY · latest run', verdict: 'failed', folderKey: 'a', runId: 'new', runLabel: 'new', flowId: 'f' };
  const index = { onDidChange: () => ({ dispose: () => undefined }), failuresFor: () => [latest] } as unknown as TraceLocations;
  const services = {
    resolveFile: () => ({ uri: uri(FETCHER), inside: true, tried: [] }),
    folder: () => undefined,
  } as unknown as TraceServices;
  const set = (obj: Record<string, unknown>, k: string, v: unknown) => { saved.set(`${obj === vs.window ? 'w' : obj === vs.workspace ? 's' : 'v'}:${k}`, obj[k]); obj[k] = v; };

  before(() => {
    set(vs.window, 'createTextEditorDecorationType', () => ({ key: typeKeys++, dispose: () => undefined }));
    set(vs.window, 'visibleTextEditors', [editor]);
    set(vs.window, 'onDidChangeVisibleTextEditors', new Emitter().event);
    set(vs.window, 'onDidChangeActiveTextEditor', activeEditor.event);
    set(vs.window, 'onDidChangeTextEditorSelection', selection.event);
    set(vs.window, 'showTextDocument', async () => editor);
    set(vs.workspace, 'onDidChangeTextDocument', docChange.event);
    set(vs.workspace, 'onDidChangeConfiguration', new Emitter().event);
    set(vs.workspace, 'workspaceFolders', [{ uri: { scheme: 'file', fsPath: ROOT } }]);
    decorations = new FailureDecorations(index);
  });
  after(() => {
    decorations?.dispose();
    for (const [k, v] of saved) {
      const [o, key] = [k.slice(0, 1), k.slice(2)];
      (o === 'w' ? vs.window : o === 's' ? vs.workspace : vs)[key] = v;
    }
  });

  // Types in the order FailureDecorations creates them: 0 the opened failure's note, 1 the latest run's notes.
  const openedNotes = () => drawn.get(0) ?? [];
  const latestNotes = () => drawn.get(1) ?? [];

  it('without a note, only the latest run is decorated', async () => {
    await openLocation(services, { folderKey: 'a', file: 'trader/data/fetcher.py', line: 15 });
    assert.equal(decorations.openedNote, undefined);
    assert.equal(openedNotes().length, 0);
    assert.equal(latestNotes().length, 1);
    assert.equal(latestNotes()[0].renderOptions?.after?.contentText, '✗ DATA.EMPTY · latest run');
  });

  it('draws the opened failure at its line, in place of the latest run’s note there', async () => {
    const note = 'DATA.EMPTY · vendor returned 0 rows for MSFT — data/fetch/minute_candles (run 20261119T140000Z-b7d2)';
    await openLocation(services, { folderKey: 'a', file: 'trader/data/fetcher.py', line: 15, note });
    assert.deepEqual(decorations.openedNote, { uri: `file://${FETCHER}`, zeroBasedLine: 14, text: note });
    assert.equal(openedNotes().length, 1);
    assert.equal(openedNotes()[0].renderOptions?.after?.contentText, `✗ ${note}`);
    assert.equal(latestNotes().length, 0, 'one note per line');
    // Moving within the line keeps it; moving off the line removes it and the latest run's note returns.
    selection.fire({ textEditor: editor, selections: [{ active: { line: 14 } }] });
    assert.ok(decorations.openedNote);
    selection.fire({ textEditor: editor, selections: [{ active: { line: 30 } }] });
    assert.equal(decorations.openedNote, undefined);
    assert.equal(openedNotes().length, 0);
    assert.equal(latestNotes().length, 1);
  });

  it('goes when the document is edited or another editor becomes active', async () => {
    await openLocation(services, { folderKey: 'a', file: 'trader/data/fetcher.py', line: 15, note: 'x' });
    assert.ok(decorations.openedNote);
    docChange.fire({ document: editor.document, contentChanges: [{}] });
    assert.equal(decorations.openedNote, undefined);
    await openLocation(services, { folderKey: 'a', file: 'trader/data/fetcher.py', line: 15, note: 'y' });
    activeEditor.fire({ document: { uri: uri('/other.py') } });
    assert.equal(decorations.openedNote, undefined);
    assert.equal(openedNotes().length, 0);
  });
});

describe('views: an esper-lite failure in the Failures view opens its trace line with its note (issue 16)', () => {
  it('lists the GOVERNOR_ROLLBACK events and opens events.jsonl at the line', async () => {
    const ws = new TraceWorkspace(path.resolve('test/fixtures/stores'), { now: () => Date.UTC(2030, 0, 1), final: true });
    await ws.load();
    const view = new FailuresProvider(oneFolderServices(ws, { resolveFile: () => ({ tried: [] }) }));
    const groups = view.getChildren(undefined);
    assert.equal(groups.length, 1);
    const folds = view.getChildren(groups[0]) as FailureNode[];
    assert.equal(folds.length, 1, 'the three rollbacks fold into one row');
    const item = view.getTreeItem(folds[0]);
    assert.equal(item.label, 'GOVERNOR_ROLLBACK · governor rollback ×3');
    assert.equal(item.command?.command, COMMANDS.openLocation);
    const arg = (item.command?.arguments as { file: string; line: number; note: string }[])[0];
    assert.ok(arg.file.endsWith(path.join('telemetry_2026-11-20_080000', 'events.jsonl')), arg.file);
    assert.ok(arg.line > 1);
    assert.equal(arg.note, 'GOVERNOR_ROLLBACK · governor rollback — (no flow) (run telemetry_2026-11-20_080000)');
  });
});
