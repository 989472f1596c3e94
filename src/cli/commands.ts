/**
 * The CLI commands: each asks `./data` (which asks `src/core`) for plain rows, then prints
 * either the stable `--json` document (docs/cli.md) or aligned, escaped, optionally coloured
 * tables. No trace logic here.
 */
import * as path from 'node:path';
import * as data from './data';
import { CliError } from './errors';
import { safeWriteFile } from '../core/read/ingress/safeWrite';
import { Redactor } from '../core/render/egress/redact';
import { scrubDoc, termText } from './egress';
import { bytes, esc, ms, painter, pct, table, toJson, useColor, type Cell, type Colour } from './output';
import { sendOtlp, tracesUrl } from './otlpSend';

export type CommandName = 'runs' | 'flows' | 'failures' | 'metrics' | 'validate' | 'stores' | 'diff' | 'export' | 'ask';

/** Options of all commands (commander camelCases them); each command reads the ones it declares. */
export interface CommonOptions {
  json?: boolean;
  redact?: boolean;
  /** `--no-cache`: neither read nor write the persisted index of big traces. */
  cache?: boolean;
  run?: string;
  /** diff: the base run and the run compared with it. */
  compare?: [string, string];
  /** diff: slower threshold in percent (validated by main.ts). */
  threshold?: number;
  /** export: output format. */
  format?: 'chrome' | 'mermaid' | 'otlp';
  /** export --format otlp: send to this OTLP/HTTP endpoint instead of writing. */
  endpoint?: string;
  /** export --endpoint: per-request timeout in ms. */
  timeout?: number;
  /** export, ask: write here instead of stdout. */
  out?: string;
  /** ask: focus on one flow (id or name). */
  flow?: string;
  /** ask: size budget in bytes. */
  budget?: number;
  /** ask: print summary.md instead of ask.md. */
  summary?: boolean;
}

/** Where output goes (tests pass buffers). */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}


const STATUS_COLOUR: Record<string, Colour> = { ok: 'green', failed: 'red', crashed: 'red', running: 'cyan' };

/**
 * Run one command; throws {@link CliError} for expected failures. Sets `process.exitCode = 1` for validate errors.
 *
 * Egress (docs/security.md): every document is built by `./data` with the command's redactor and
 * passed through `scrubDoc` before it is printed as `--json` or drawn as human output; every
 * human-output cell goes through `termText` (`forTerminal`); error messages are scrubbed here
 * (they quote run ids, paths and values) and escaped by main.ts.
 * The redactor is run-scoped over the loaded runs (`data.redactorFor`), the store redactor for
 * `stores`, and none for `--no-redact`.
 */
export async function runCommand(name: CommandName, path: string | undefined, opts: CommonOptions, io: Io): Promise<void> {
  const redact = opts.redact !== false;
  let redactor: Redactor | undefined = redact ? new Redactor() : undefined;
  const load = async (): Promise<data.Loaded> => {
    const ws = await data.open(path, { cache: opts.cache });
    redactor = data.redactorFor(ws, redact);
    return ws;
  };
  try {
    await commandBody(name, path, opts, io, {
      load,
      setRedactor: r => (redactor = r),
      tx: v => termText(v, redactor),
      doc: v => scrubDoc(v, redactor),
    });
  } catch (e) {
    // Messages can quote run ids, flow names, paths and values from the trace.
    if (e instanceof CliError) throw new CliError(redactor ? redactor.identifier(e.message) : e.message, e.exitCode);
    if (e instanceof Error && redactor) throw new Error(redactor.identifier(e.message));
    throw e;
  }
}

/** What a command body uses to load, redact and print. */
interface Egress {
  load: () => Promise<data.Loaded>;
  setRedactor: (r: Redactor | undefined) => void;
  /** One human-output cell or fragment, safe for the terminal. */
  tx: (v: unknown) => string;
  /** A document scrubbed for output (`--json` and the rows human output is drawn from). */
  doc: <T>(v: T) => T;
}

async function commandBody(name: CommandName, path: string | undefined, opts: CommonOptions, io: Io, eg: Egress): Promise<void> {
  const paint = painter(!opts.json && useColor());
  const redact = opts.redact !== false;
  const { load, tx, doc } = eg;
  const cellOf = (c: Cell): Cell =>
    typeof c === 'string' ? tx(c) : c !== null && typeof c === 'object' && typeof c.text !== 'number' ? { ...c, text: tx(c.text) } : c;
  const tbl = (headers: string[], rows: Cell[][]): string => table(headers, rows.map(r => r.map(cellOf)), paint);
  // Source read errors (each names its file): a store over its row budget, a file that grew while
  // being read, an unreadable source. Printed first, so "no runs found" never hides why.
  const printProblems = (problems: readonly string[]): void => {
    for (const p of problems) io.out(paint('yellow', `problem: ${tx(p)}\n`));
  };
  switch (name) {
    case 'runs': {
      const ws = await load();
      if (!opts.json) printProblems(ws.problems);
      const runs = data.selectRuns(ws, opts.run ?? 'all');
      const d = doc({ root: ws.root, runs: runs.map(r => data.runRow(ws, r, { redact })), malformed: data.malformed(ws, { redact }), warnings: data.warnings(ws, runs, { redact }), problems: ws.problems });
      if (opts.json) return io.out(toJson(d) + '\n');
      const { runs: rows, malformed } = d;
      if (!rows.length) io.out(`no runs found under ${tx(d.root)}\n`);
      else io.out(tbl(
        ['RUN', 'STATUS', 'STARTED', 'DURATION', 'APP', 'FLOWS', 'OK', 'FAILED', 'EXC', 'ORPHANED', 'RUNNING', 'EVENTS', 'MALFORMED'],
        rows.map(r => [r.id, { text: r.status, colour: STATUS_COLOUR[r.status] }, r.started ?? '-',
          ms(r.started && r.ended ? Date.parse(r.ended) - Date.parse(r.started) : undefined), r.app ?? '-',
          r.flows.total, r.flows.succeeded, red(r.flows.failed), red(r.flows.exceptions), yellow(r.flows.orphaned), r.flows.running,
          r.events, yellow(r.malformed)] as Cell[])));
      if (malformed.length) io.out(paint('yellow', `\n${malformed.length} malformed line(s); first: ${tx(malformed[0].file)}:${malformed[0].line}: ${tx(malformed[0].reason)}\n`));
      const w = d.warnings;
      if (w.length) io.out(paint('yellow', `\n${w.length} line(s) kept with a warning; first: ${tx(w[0].file)}:${w[0].line}: ${tx(w[0].reason)}\n`));
      return;
    }
    case 'flows': {
      const ws = await load();
      const sel = opts.run ?? 'latest';
      const runs = data.selectRuns(ws, sel);
      const d = doc({ root: ws.root, run: runLabel(sel, runs, data.identFor(ws, redact)), flows: data.flowRows(ws, runs, { redact }) });
      if (opts.json) return io.out(toJson(d) + '\n');
      const flows = d.flows;
      io.out(paint('dim', `run ${tx(d.run)}\n`));
      if (!flows.length) return io.out('no flows\n');
      io.out(tbl(
        ['FLOW', 'N', 'OK', 'FAILED', 'EXC', 'ORPHANED', 'SUCCESS', 'P50', 'P95', 'MAX', 'SLA P95', 'CLASSES'],
        flows.map(f => [f.name, f.instances, f.succeeded, red(f.failed), red(f.exceptions), yellow(f.orphaned),
          pct(f.success_rate), ms(f.p50_ms), { text: ms(f.p95_ms), colour: f.sla_breached ? 'red' : undefined },
          ms(f.max_ms), f.sla_p95_ms === null ? '-' : { text: `${ms(f.sla_p95_ms)}${f.sla_breached ? ' BREACHED' : ''}`, colour: f.sla_breached ? 'red' : undefined },
          Object.entries(f.failure_classes).map(([k, v]) => `${k}×${v}`).join(' ')] as Cell[])));
      return;
    }
    case 'failures': {
      const ws = await load();
      // Before selecting runs: "no runs found" must not hide why.
      if (!opts.json) printProblems(ws.problems);
      const sel = opts.run ?? 'latest';
      const runs = data.selectRuns(ws, sel);
      const d = doc({ root: ws.root, run: runLabel(sel, runs, data.identFor(ws, redact)), failures: data.failureRows(ws, runs, { redact }), problems: ws.problems });
      if (opts.json) return io.out(toJson(d) + '\n');
      const failures = d.failures;
      io.out(paint('dim', `run ${tx(d.run)}\n`));
      if (!failures.length) return io.out(paint('green', 'no failures\n'));
      for (const f of failures) {
        const where = f.resolved_file ?? f.file;
        io.out(`${paint(f.event_type === 'exception' ? 'red' : 'yellow', tx(f.event_type))} ${paint('bold', tx(f.flow ?? f.flow_id ?? '-'))}`
          + `${f.flow_id && f.flow ? paint('dim', ` (${tx(f.flow_id)})`) : ''}${runs.length > 1 ? ` run ${tx(f.run)}` : ''}`
          + `${f.step ? ` step ${tx(f.step)}` : ''}  ${tx(f.failure_class ?? '-')}  ${tx(f.severity ?? '')}  ${tx(f.timestamp ?? '')}\n`);
        io.out(`  ${tx(f.reason ?? '')}\n`);
        if (where) io.out(paint('cyan', `  ${tx(where)}${f.line ? `:${f.line}` : ''}\n`));
        if (f.evidence !== undefined && f.evidence !== null) io.out(paint('dim', `  evidence: ${tx(f.evidence)}\n`));
      }
      io.out(`${failures.length} failure(s)\n`);
      return;
    }
    case 'metrics': {
      const ws = await load();
      const sel = opts.run ?? 'latest';
      // A folder with telemetry queues and no flow run (issue 16): the queue rollups are its
      // metrics, `run` is null and exit 0. A --run that names a run still has to find one.
      const telemetryOnly = !ws.runs.length && ws.envelopes.length > 0 && opts.run === undefined;
      const runs = telemetryOnly ? [] : data.selectRuns(ws, sel);
      const m = doc({ root: ws.root, run: telemetryOnly ? null : runLabel(sel, runs, data.identFor(ws, redact)), ...data.metrics(ws, runs, { redact }) });
      if (opts.json) return io.out(toJson(m) + '\n');
      if (m.run === null) io.out(paint('dim', `no flow runs under ${tx(m.root)}; telemetry queues only\n`));
      else io.out(paint('dim', `run ${tx(m.run)}\n`));
      const counts = (title: string, rec: Record<string, number>) => {
        const entries = Object.entries(rec).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
        io.out(`\n${paint('bold', title)}\n`);
        io.out(entries.length ? tbl(['KEY', 'COUNT'], entries.map(([k, v]) => [k, v])) : '  (none)\n');
      };
      if (m.run !== null) {
        counts('Events by type', m.counts.by_type);
        counts('Events by severity', m.counts.by_severity);
        counts('Failures by class', m.counts.by_failure_class);
        counts('Failures by domain', m.counts.by_domain);
      }
      if (m.latency.length) {
        io.out(`\n${paint('bold', 'Latency histograms (verdict duration)')}\n`);
        const labels = m.latency[0].buckets.map(b => (b.le_ms === null ? '>' + m.latency[0].buckets[m.latency[0].buckets.length - 2]?.le_ms : `≤${b.le_ms}`));
        io.out(tbl(['FLOW', ...labels], m.latency.map(h => [h.flow, ...h.buckets.map(b => b.count)])));
      }
      if (m.pulse) {
        const p = m.pulse;
        io.out(`\n${paint('bold', `Pulse (${p.total} queued envelope events)`)}\n`);
        io.out(tbl(['TYPE', 'COUNT'], Object.entries(p.by_type).map(([k, v]) => [k, v])));
        io.out(tbl(['SOURCE', 'COUNT'], Object.entries(p.by_source).map(([k, v]) => [k, v])));
        if (p.phases.length) io.out(tbl(['PHASE', 'CLOSES', 'TASKS DONE', 'TASK CLOSES', 'FIRST CLOSED', 'LAST CLOSED'],
          p.phases.map(ph => [ph.phase === '' ? '""' : ph.phase, ph.closes, ph.tasks_done, ph.task_closes, ph.first_closed_at ?? '-', ph.last_closed_at ?? '-'])));
        if (Object.keys(p.stop_reasons).length) io.out(tbl(['STOP REASON', 'COUNT'], Object.entries(p.stop_reasons).map(([k, v]) => [k, v])));
        const v = p.verification.overall;
        io.out(`verification: ${v.passed}/${v.total} passed (${pct(v.rate)})\n`);
        for (const u of p.unsupported) io.out(paint('yellow', `unsupported: ${tx(u.type)} v${u.version} ×${u.count}\n`));
      }
      return;
    }
    case 'validate': {
      const ws = await load();
      const v = doc({ root: ws.root, ...(await data.validate(ws, { redact })) });
      if (opts.json) io.out(toJson(v) + '\n');
      else {
        for (const p of v.problems)
          io.out(`${tx(p.file)}:${p.line ?? 1}:${p.col ?? 1}: ${paint(p.severity === 'error' ? 'red' : p.severity === 'warning' ? 'yellow' : 'dim', p.severity)}: ${tx(p.message)}\n`);
        io.out(v.errors || v.warnings ? `${v.errors} error(s), ${v.warnings} warning(s)\n` : paint('green', 'no problems\n'));
      }
      if (v.errors > 0) process.exitCode = 1;
      return;
    }
    case 'stores': {
      const root = data.existing(path);
      // Stores are not runs: the default rules plus ra.yaml `privacy` of the workspace.
      const storeRed = redact ? data.storeRedactor(root) : undefined;
      eg.setRedactor(storeRed);
      const d = doc({ root, stores: await data.stores(root, storeRed) });
      if (opts.json) return io.out(toJson(d) + '\n');
      const stores = d.stores;
      if (!stores.length) return io.out(`no SQLite stores found under ${tx(root)}\n`);
      io.out(tbl(['PATH', 'KIND', 'ROWS', 'WAL', 'SIZE', 'PROBLEMS'],
        stores.map(s => [s.path, s.kind, s.rows, s.wal_applied ? 'yes' : 'no', bytes(s.size_bytes), s.problems.length ? red(s.problems.length) : 0] as Cell[])));
      for (const s of stores) {
        const summary = rollupSummary(s.rollups, tx);
        if (summary.length) io.out(`\n${paint('bold', tx(s.path))} ${paint('dim', tx(s.kind))}\n${summary.map(l => `  ${l}\n`).join('')}`);
        for (const p of s.problems) io.out(paint('yellow', `  ${tx(p.file ?? s.path)}${p.line ? `:${p.line}` : ''}: ${tx(p.severity)}: ${tx(p.message)}\n`));
      }
      return;
    }
    case 'diff': {
      const ws = await load();
      const [selA, selB] = opts.compare ?? ['previous', 'latest'];
      const a = data.selectOneRun(ws, selA);
      const b = data.selectOneRun(ws, selB);
      const d = doc({ root: ws.root, ...data.diff(ws, a, b, { thresholdPct: opts.threshold, redact }) });
      if (opts.json) return io.out(toJson(d) + '\n');
      io.out(paint('dim', `${tx(d.a)} → ${tx(d.b)}  (slower = p95 up more than ${d.threshold_pct}%)`) + '\n');
      // Say what was compared (issue 16): like with like, or — when both were named — that it is not.
      io.out(d.same_dialect
        ? paint('dim', `compared ${tx(d.b)} with ${tx(d.a)} (same dialect: ${tx(data.dialectName(d.a_dialect))})`) + '\n'
        : paint('yellow', `note: ${tx(d.a)} is ${tx(data.dialectName(d.a_dialect))} and ${tx(d.b)} is ${tx(data.dialectName(d.b_dialect))} — flows are matched by name across dialects`) + '\n');
      const listed = new Set([...d.newly_failing, ...d.fixed, ...d.still_failing].map(e => e.flow));
      const section = (title: string, colour: Colour, rows: data.DiffEntryRow[], line: (e: data.DiffEntryRow) => string) => {
        if (!rows.length) return;
        io.out(`\n${paint('bold', paint(colour, `${title} (${rows.length})`))}\n`);
        for (const e of rows) {
          io.out(`  ${paint('bold', tx(e.flow))}  ${line(e)}\n`);
          if (title === 'Slower' && listed.has(e.flow)) continue; // evidence shown once, above
          const where = e.after?.failing ? e.after : e.before?.failing ? e.before : undefined;
          const loc = where && (where.resolved_file ?? where.file);
          if (loc) io.out(`    ${paint('cyan', `${tx(loc)}${where.line ? `:${where.line}` : ''}`)}\n`);
          for (const c of e.changes) io.out(`    ${paint('dim', `${tx(c.key)}: ${tx(show(c.before))} → ${tx(show(c.after))}`)}\n`);
        }
      };
      const verdicts = (s: data.FlowSideRow | null) => (s ? `${s.instances} instance(s), ${s.failing} failing` : '-');
      const cls = (s: data.FlowSideRow | null) => (s?.failure_class ? `  ${tx(s.failure_class)}` : '');
      section('Newly failing', 'red', d.newly_failing, e => `${verdicts(e.before)} → ${verdicts(e.after)}${cls(e.after)}  ${tx(e.after?.reason ?? '')}`);
      section('Fixed', 'green', d.fixed, e => `${verdicts(e.before)} → ${verdicts(e.after)}  was ${tx(e.before?.failure_class ?? e.before?.verdict ?? '-')}`);
      section('Still failing', 'yellow', d.still_failing, e => `${verdicts(e.before)} → ${verdicts(e.after)}${cls(e.after)}`);
      section('Slower', 'yellow', d.slower, e => {
        const s = e as data.DiffDoc['slower'][number];
        return `p95 ${ms(s.before_p95_ms)} → ${ms(s.after_p95_ms)} (${s.change_pct === null ? 'from 0' : `+${s.change_pct.toFixed(1)}%`})`;
      });
      section('New', 'cyan', d.new, e => verdicts(e.after));
      section('Gone', 'dim', d.gone, e => verdicts(e.before));
      const n = d.new.length + d.gone.length + d.newly_failing.length + d.fixed.length + d.slower.length;
      io.out(n ? `\n${d.newly_failing.length} newly failing, ${d.fixed.length} fixed, ${d.still_failing.length} still failing, ${d.slower.length} slower, ${d.new.length} new, ${d.gone.length} gone\n`
        : paint('green', `no flow appeared, went away, started or stopped failing, or got slower${d.still_failing.length ? ` (${d.still_failing.length} still failing)` : ''}`) + '\n');
      return;
    }
    case 'export': {
      const ws = await load();
      if (opts.format === 'otlp') {
        // OTLP carries a run or several (one trace each): `--run all` is allowed here.
        const runs = data.selectRuns(ws, opts.run ?? 'latest');
        const req = data.exportOtlp(ws, runs, { redact });
        if (opts.endpoint === undefined) return emit(toJson(req) + '\n', opts.out, io);
        const url = tracesUrl(opts.endpoint);
        const sent = await sendOtlp(req, url, opts.timeout);
        for (const m of sent.messages) io.err(`flowlens: the receiver said: ${tx(m)}\n`);
        const { spans, rejected } = sent;
        io.out(`sent ${spans - rejected} span(s) of ${runs.length} run(s) to ${esc(sent.shown)} (HTTP ${sent.status}, ${sent.requests} request(s))\n`);
        if (rejected) throw new CliError(`the receiver rejected ${rejected} of ${spans} span(s)`);
        return;
      }
      const run = data.selectOneRun(ws, opts.run ?? 'latest');
      const text = data.exportRun(ws, run, opts.format ?? 'chrome', { redact });
      return emit(text, opts.out, io);
    }
    case 'ask': {
      // ask.md / summary.md are always redacted (a prompt; no --no-redact).
      const ws = await load();
      const run = data.selectOneRun(ws, opts.run ?? 'latest');
      if (opts.flow !== undefined) data.checkFlow(run, opts.flow);
      const text = data.askText(ws, run, { flow: opts.flow, budgetBytes: opts.budget, summary: opts.summary });
      return emit(text, opts.out, io, true);
    }
  }
}

/**
 * Print `text`, or write it to `out` and say so (one line). Exit 1 when the file cannot be written.
 * The write policy applies (`safeWriteFile`): the user named `out`, so it may replace any regular
 * file, but never through a symbolic link and never into a folder that does not exist. Markdown
 * (`ask`) carries Flowlens's own-file mark so the extension may regenerate it later.
 */
function emit(text: string, out: string | undefined, io: Io, markdown = false): void {
  if (out === undefined) return io.out(text);
  const file = path.resolve(out);
  const r = safeWriteFile(file, text, { root: path.dirname(file), userChosen: true, owned: markdown, createRoot: false });
  if (!r.ok) throw new CliError(`cannot write ${out}: ${r.message.startsWith(`${file}: `) ? r.message.slice(file.length + 2) : r.message}`);
  io.out(`wrote ${esc(file)} (${r.bytes ?? Buffer.byteLength(text)} bytes)
`);
}

/** A changed value for one line of human output (strings as they are, the rest as JSON; `-` when absent). */
function show(v: unknown): unknown {
  return v === null || v === undefined ? '-' : v;
}

/**
 * A few readable lines from a store's rollups (the full object is in `--json`): scalars, and
 * flat records of scalars (≤ 12 keys), one line each; bigger structures are summarised by size.
 * Every key and value goes through `tx` (the command's `termText`).
 */
function rollupSummary(rollups: unknown, tx: (v: unknown) => string): string[] {
  const out: string[] = [];
  if (!rollups || typeof rollups !== 'object') return out;
  for (const [kind, r] of Object.entries(rollups as Record<string, unknown>)) {
    if (!r || typeof r !== 'object') continue;
    const scalars: string[] = [];
    for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
      if (v === null || typeof v !== 'object') {
        scalars.push(`${tx(k)}=${tx(typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v)}`);
      } else if (Array.isArray(v)) {
        const flat = v.length <= 6 && v.every(x => x && typeof x === 'object' && Object.values(x).every(y => y === null || typeof y !== 'object'));
        if (flat && v.length) out.push(`${tx(k)}: ${v.map(x => Object.values(x as object).map(y => tx(typeof y === 'number' && !Number.isInteger(y) ? Math.round(y * 1000) / 1000 : y)).join(' ')).join('; ')}`);
        else scalars.push(`${tx(k)}=[${v.length}]`);
      } else {
        const e = Object.entries(v as Record<string, unknown>);
        if (e.length <= 12 && e.every(([, y]) => y === null || typeof y !== 'object')) out.push(`${tx(k)}: ${e.map(([a, b]) => `${tx(a)}=${tx(b)}`).join(' ')}`);
        else scalars.push(`${tx(k)}={${e.length}}`);
      }
    }
    if (scalars.length) out.unshift(`${tx(kind)}: ${scalars.join(' ')}`);
  }
  return out;
}

function red(n: number): Cell {
  return n ? { text: n, colour: 'red' } : n;
}
function yellow(n: number): Cell {
  return n ? { text: n, colour: 'yellow' } : n;
}

function runLabel(sel: string, runs: { id: string }[], id: data.Ident): string {
  return sel === 'all' ? 'all' : runs[0] ? id(runs[0].id) : sel;
}

export { CliError };
