// Problems shown in the editor (issue 13, "bad input never crashes and never loses data"): every
// problem found while reading a hostile workspace — a malformed line holding a secret and an
// escape sequence, a FIFO named like a trace, an ra.yaml with a located error, a trace.db whose
// `events` is a view — is written to the Flowlens log channel once, naming its file (and line),
// with no secret and no control character; a second refresh logs nothing new, a new problem is
// logged; catalog problems become diagnostics on ra.yaml; `flowlens.showLog` is registered and
// contributed; the status bar offers Show Log without trace text.
import { vs } from './statusBarStub';
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sqliteReaders } from '../../../src/core/read/sqlite/readers';
import { TraceWorkspace } from '../../../src/core/read/workspace';
import { configDiagnostics } from '../../../src/host/editor/catalogDiagnostics';
import { COMMANDS } from '../../../src/host/commands';
import { FlowlensLog, MAX_LINES_PER_REPORT, registerLog, type LogSink } from '../../../src/host/log';
import { redactorFor } from '../../../src/host/redaction';
import { RunStatusBar } from '../../../src/host/statusBar/statusBar';
import type { TraceServices } from '../../../src/host/services';

const SECRET = 'hunter2-Sekrit-5531';
/** A numeric secret (redacted under `password` in the run) that is also an out-of-range timestamp. */
const PIN = '99887766554433221100';
const REPO = path.resolve(__dirname, '../../../..');

/** Records what the log channel receives. */
class Recorder implements LogSink {
  lines: { level: string; text: string }[] = [];
  shown = 0;
  disposed = false;
  info(m: string): void { this.lines.push({ level: 'info', text: m }); }
  warn(m: string): void { this.lines.push({ level: 'warn', text: m }); }
  error(m: string): void { this.lines.push({ level: 'error', text: m }); }
  show(): void { this.shown++; }
  dispose(): void { this.disposed = true; }
}

function t(s: number): string {
  return new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();
}

function hostile(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-problems-'));
  const autodev = path.join(root, '.autodev');
  fs.mkdirSync(path.join(autodev, 'runs', 'r-ok'), { recursive: true });
  const ev = (o: Record<string, unknown>) => JSON.stringify({ v: 1, run_id: 'r-ok', ...o });
  fs.writeFileSync(path.join(autodev, 'runs', 'r-ok', 'trace.jsonl'), [
    ev({ event_type: 'session_start', timestamp: t(0) }),
    ev({ event_type: 'flow_start', timestamp: t(1), flow: 'login', flow_id: 'f1' }),
    // line 3: malformed, holding a secret under a key and an escape sequence
    `{"v":1,"run_id":"r-ok","event_type":"failure","password":"${SECRET}","reason":"\u001b]8;;x\u0007boom\u001b[31m" ,,}`,
    ev({ event_type: 'success', timestamp: t(2), flow: 'login', flow_id: 'f1', evidence: { password: PIN } }),
    // line 5: a timestamp out of range whose text is a value redacted under a key elsewhere in the run
    ev({ event_type: 'metric', timestamp: PIN, flow: 'login', flow_id: 'f1' }),
    ev({ event_type: 'session_end', timestamp: t(3), status: 'ok' }),
  ].join('\n') + '\n');
  // A FIFO named like a trace: never opened, noted.
  fs.mkdirSync(path.join(autodev, 'runs', 'r-fifo'));
  execFileSync('mkfifo', [path.join(autodev, 'runs', 'r-fifo', 'trace.jsonl')]);
  // trace.db whose `events` is a view (over a recursive CTE that would never end).
  fs.mkdirSync(path.join(autodev, 'runs', 'r-view'));
  execFileSync('sqlite3', [path.join(autodev, 'runs', 'r-view', 'trace.db'),
    'create table t(x); create view events as with recursive c(i) as (select 1 union all select i+1 from c) select i as id, \'failure\' as event_type, \'{}\' as event_data from c;']);
  // ra.yaml with a located error (line 3).
  fs.writeFileSync(path.join(autodev, 'ra.yaml'), 'version: 1\nprivacy:\n  payload_limit: [1, 2\n');
  return root;
}

function workspace(root: string): TraceWorkspace {
  return new TraceWorkspace(root, { readers: sqliteReaders({ root }), now: () => Date.parse(t(10)) });
}

describe('views: problems reading traces go to the Flowlens log', function () {
  this.timeout(60_000);
  let root: string;
  let ws: TraceWorkspace;
  const sink = new Recorder();
  const log = new FlowlensLog(sink);

  before(async () => {
    root = hostile();
    ws = workspace(root);
    await ws.load();
    log.report('folder-1', 'demo', ws);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('writes one line per problem, naming the file (and line), with no secret and no control character', () => {
    const all = sink.lines.map(l => l.text);
    if (process.env.SHOW_LOG) console.log(all.join("\n"));
    assert.ok(all.length >= 4, all.join('\n'));
    for (const l of all) {
      assert.ok(!l.includes(SECRET) && !l.includes(PIN), `secret in log line: ${l}`);
      assert.doesNotMatch(l, /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/, `control character in: ${JSON.stringify(l)}`);
      assert.ok(l.startsWith('[demo] '), l);
    }
    const one = (re: RegExp, what: string) => {
      const hits = all.filter(l => re.test(l));
      assert.equal(hits.length, 1, `${what}: expected exactly one line matching ${re}, got:\n${all.join('\n')}`);
      return hits[0];
    };
    one(/\.autodev\/runs\/r-ok\/trace\.jsonl:3: malformed/, 'malformed line with file:line');
    one(/\.autodev\/runs\/r-fifo\/trace\.jsonl/, 'FIFO named like a trace');
    one(/\.autodev\/runs\/r-ok\/trace\.jsonl:5: .*timestamp/i, 'run warning with file:line (secret scrubbed)');
    one(/\.autodev\/runs\/r-view\/trace\.db/, 'trace.db whose events is a view');
    const ra = one(/\.autodev\/ra\.yaml:3:\d+: /, 'ra.yaml located error');
    assert.equal(sink.lines.find(l => l.text === ra)?.level, 'error');
    // nothing beyond one line per problem
    assert.equal(new Set(all).size, all.length, 'a problem was logged twice');
    // The count shown in the Runs view and status bar is the warnings and errors; notes are only logged.
    assert.equal(log.count('folder-1'), sink.lines.filter(l => l.level !== 'info').length);
    assert.ok(log.count('folder-1') >= 5, `counted ${log.count('folder-1')}`);
  });

  it('a second refresh that finds the same problems logs nothing; a new problem is logged once', async () => {
    const before = sink.lines.length;
    await ws.refresh();
    assert.equal(log.report('folder-1', 'demo', ws), 0);
    assert.equal(sink.lines.length, before, sink.lines.slice(before).map(l => l.text).join('\n'));
    fs.appendFileSync(path.join(root, '.autodev', 'runs', 'r-ok', 'trace.jsonl'), `{"v":1, broken ${SECRET}\n`);
    await ws.refresh();
    assert.equal(log.report('folder-1', 'demo', ws), 1);
    const added = sink.lines.slice(before).map(l => l.text);
    assert.equal(added.length, 1, added.join('\n'));
    assert.match(added[0], /r-ok\/trace\.jsonl:7: malformed/);
    await ws.refresh();
    log.report('folder-1', 'demo', ws);
    assert.equal(sink.lines.length, before + 1);
  });

  it('caps a refresh at MAX_LINES_PER_REPORT lines plus one "… N more" line', async () => {
    const r2 = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-problems-many-'));
    try {
      fs.mkdirSync(path.join(r2, '.autodev'));
      const n = MAX_LINES_PER_REPORT + 50;
      fs.writeFileSync(path.join(r2, '.autodev', 'trace.jsonl'), Array.from({ length: n }, (_, i) => `{bad ${i}\n`).join(''));
      const w = workspace(r2);
      await w.load();
      const rec = new Recorder();
      const l2 = new FlowlensLog(rec);
      assert.ok(l2.report('k', 'many', w) >= n);
      assert.equal(rec.lines.length, MAX_LINES_PER_REPORT + 1);
      assert.match(rec.lines[MAX_LINES_PER_REPORT].text, /^\[many\] … \d+ more problems not logged/);
      await w.refresh();
      assert.equal(l2.report('k', 'many', w), 0);
      assert.equal(rec.lines.length, MAX_LINES_PER_REPORT + 1);
    } finally {
      fs.rmSync(r2, { recursive: true, force: true });
    }
  });

  it('catalog problems with a location become diagnostics on ra.yaml (0-based, redacted labels)', () => {
    const diags = configDiagnostics(ws.root, ws.catalog, redactorFor(ws.catalog));
    const ra = diags.filter(d => d.file.endsWith(path.join('.autodev', 'ra.yaml')));
    assert.ok(ra.length >= 1, JSON.stringify(ws.catalog?.problems));
    assert.equal(ra[0].line, 2);
    assert.equal(ra[0].severity, 'error');
    // a problem "at" a file outside the workspace gets no diagnostic
    const outside = { ...ws.catalog!, problems: [{ file: '/etc/passwd', line: 1, col: 1, message: 'x', severity: 'error' as const }] };
    assert.deepEqual(configDiagnostics(ws.root, outside, redactorFor(ws.catalog)), []);
  });

  it('flowlens.showLog is registered, reveals the channel and is contributed in package.json', () => {
    const registered = new Map<string, (...a: unknown[]) => unknown>();
    const commands = vs.commands as Record<string, unknown>;
    const window = vs.window as Record<string, unknown>;
    const prevReg = commands.registerCommand;
    const prevCreate = window.createOutputChannel;
    const rec = new Recorder();
    let opts: unknown;
    commands.registerCommand = (id: string, fn: (...a: unknown[]) => unknown) => { registered.set(id, fn); return { dispose: () => undefined }; };
    window.createOutputChannel = (name: string, o: unknown) => { assert.equal(name, 'Flowlens'); opts = o; return rec; };
    try {
      const context = { subscriptions: [] as { dispose(): void }[] };
      const l = registerLog(context as never);
      assert.deepEqual(opts, { log: true });
      assert.equal(COMMANDS.showLog, 'flowlens.showLog');
      registered.get(COMMANDS.showLog)?.();
      assert.equal(rec.shown, 1);
      for (const d of context.subscriptions) d.dispose();
      assert.ok(rec.disposed, 'the channel is disposed with the extension');
      void l;
    } finally {
      commands.registerCommand = prevReg;
      window.createOutputChannel = prevCreate;
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    assert.ok(pkg.contributes.commands.some((c: { command: string }) => c.command === COMMANDS.showLog));
    assert.ok(pkg.contributes.viewsWelcome.some((w: { contents: string }) => w.contents.includes(`command:${COMMANDS.showLog}`)));
  });

  it('the status bar counts the problems and offers Show Log, with no trace text', () => {
    const window = vs.window as Record<string, unknown>;
    const prev = window.createStatusBarItem;
    const item: Record<string, unknown> = { show: () => undefined, hide: () => undefined, dispose: () => undefined };
    window.createStatusBarItem = () => item;
    try {
      const services = {
        workspaces: new Map([['folder-1', ws]]),
        onDidChange: () => ({ dispose: () => undefined }),
        latestRun: () => undefined,
        allRuns: () => [],
        stopped: new Set(),
        loading: false,
        log,
      } as unknown as TraceServices;
      const bar = new RunStatusBar(services);
      const n = log.count();
      assert.ok(n > 0);
      assert.equal(item.command, COMMANDS.showLog);
      assert.match(String(item.text), new RegExp(`${n} problems reading traces`));
      assert.match(String(item.tooltip), /Show Log/);
      assert.ok(!String(item.tooltip).includes(SECRET) && !String(item.tooltip).includes('trace.jsonl'));
      bar.dispose();
    } finally {
      window.createStatusBarItem = prev;
    }
  });
});
