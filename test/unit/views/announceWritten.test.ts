// Issue 16: a notification that announces a written file (dashboard export, ask prompt) offers
// *Open* and *Reveal in Explorer*, and each does what it says.
import { recorded, vs } from './vscodeExtras';
import { strict as assert } from 'node:assert';
import { announceWritten, WRITTEN_ACTIONS } from '../../../src/host/open';

describe('announceWritten (issue 16: export toasts with Open / Reveal)', () => {
  const calls: unknown[][] = [];
  const opened: string[] = [];
  let prevExec: unknown;
  let prevShow: unknown;
  const uri = (p: string) => ({ scheme: 'file', path: p, fsPath: p });
  beforeEach(() => {
    recorded.reset();
    calls.length = 0;
    opened.length = 0;
    const commands = vs.commands as Record<string, unknown>;
    const window = vs.window as Record<string, unknown>;
    prevExec = commands.executeCommand;
    prevShow = window.showTextDocument;
    commands.executeCommand = async (...a: unknown[]) => void calls.push(a);
    window.showTextDocument = async (u: { fsPath: string }) => void opened.push(u.fsPath);
  });
  afterEach(() => {
    (vs.commands as Record<string, unknown>).executeCommand = prevExec;
    (vs.window as Record<string, unknown>).showTextDocument = prevShow;
  });

  it('offers Open and Reveal in Explorer', async () => {
    await announceWritten('Flowlens: exported r1 to /ws/r1.trace.json.', uri('/ws/r1.trace.json') as never, uri('/ws') as never);
    assert.deepEqual(recorded.shown.map((s) => [s.kind, s.message, s.items]), [['information', 'Flowlens: exported r1 to /ws/r1.trace.json.', [WRITTEN_ACTIONS.open, WRITTEN_ACTIONS.reveal]]]);
  });

  it('Open opens the file; Reveal shows it in the Explorer inside the folder, else in the OS', async () => {
    recorded.answer = WRITTEN_ACTIONS.open;
    await announceWritten('m', uri('/ws/a.mmd') as never, uri('/ws') as never);
    assert.deepEqual(opened, ['/ws/a.mmd']);
    recorded.answer = WRITTEN_ACTIONS.reveal;
    await announceWritten('m', uri('/ws/a.mmd') as never, uri('/ws') as never);
    recorded.answer = WRITTEN_ACTIONS.reveal;
    await announceWritten('m', uri('/elsewhere/a.mmd') as never, uri('/ws') as never);
    recorded.answer = WRITTEN_ACTIONS.reveal;
    await announceWritten('m', uri('/ws2/a.mmd') as never, uri('/ws') as never);
    assert.deepEqual(calls.map((c) => [c[0], (c[1] as { path: string }).path]), [
      ['revealInExplorer', '/ws/a.mmd'], ['revealFileInOS', '/elsewhere/a.mmd'], ['revealFileInOS', '/ws2/a.mmd'],
    ]);
  });
});
