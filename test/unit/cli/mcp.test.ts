/**
 * `flowlens mcp` (issue 17) through the MCP SDK's real client: `node dist/cli.js mcp --root <ws>`
 * spawned over stdio (StdioClientTransport), `listTools`, then `callTool` for every tool on aged
 * copies of the fixtures. Expected values are those of the CLI (test/unit/cli/cli.test.ts works
 * them out by hand from the demo traces); where the CLI prints the same thing (`ask`, run ids,
 * rollups, diff lists) the MCP result is compared with the CLI's output.
 * Hostile data: every tool on test/fixtures/hostile/secrets (make.py) shows no secret; on the
 * hostile corpus no link, `command:` URI or control character survives and huge values are
 * clipped; a path outside the root is refused; a page over its byte budget is cut with a note.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { age, copyAged as copyAgedTo } from '../../support/aged';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { needles, type Secrets } from '../hostileSecrets';

const repo = path.resolve(__dirname, '../../../..');
const cli = path.join(repo, 'dist', 'cli.js');
const fixtures = path.join(repo, 'test', 'fixtures');

const B7D2 = '20261119T140000Z-b7d2';
const C4E8 = '20261119T190000Z-c4e8';
const TOOL_NAMES = ['list_runs', 'failures', 'flow_events', 'rollups', 'diff_runs', 'ask', 'search'];
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b-\u200f]/;

const copyAged = (src: string, name: string): string => copyAgedTo(src, `flowlens-mcp-${name}`);

function cliJson(args: string[]): any {
  const r = spawnSync(process.execPath, [cli, ...args, '--json'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function cliText(args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

interface Session {
  client: Client;
  stderr: () => string;
  close: () => Promise<void>;
}

async function connect(root: string): Promise<Session> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [cli, 'mcp', '--root', root], cwd: repo, stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const client = new Client({ name: 'flowlens-mcp-test', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => err, close: () => client.close() };
}

interface Result { text: string; isError: boolean }

async function call(s: Session, name: string, args: Record<string, unknown> = {}): Promise<Result> {
  const r = await s.client.callTool({ name, arguments: args });
  const content = r.content as { type: string; text?: string }[];
  assert.equal(content.length, 1, `${name}: one content part`);
  assert.equal(content[0].type, 'text');
  return { text: content[0].text ?? '', isError: r.isError === true };
}

async function callJson(s: Session, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const r = await call(s, name, args);
  assert.equal(r.isError, false, `${name} ${JSON.stringify(args)}: ${r.text}`);
  return JSON.parse(r.text);
}

describe('flowlens mcp (MCP SDK client over stdio)', function () {
  this.timeout(120_000);
  before(() => assert.ok(fs.existsSync(cli), 'run `npm run build` first (dist/cli.js missing)'));

  describe('on the demo workspace', () => {
    let demo: string;
    let s: Session;
    before(async () => {
      demo = copyAged(path.join(fixtures, 'demo-app'), 'demo');
      s = await connect(demo);
    });
    after(async () => {
      await s?.close();
      if (demo) fs.rmSync(demo, { recursive: true, force: true });
    });

    it('lists every tool with an object input schema, a description for agents and read-only annotations', async () => {
      const { tools } = await s.client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
      for (const t of tools) {
        assert.equal(t.inputSchema.type, 'object', t.name);
        assert.ok((t.description ?? '').length > 150, `${t.name} has a description that says when to use it`);
        assert.match(t.description ?? '', /untrusted data/, `${t.name} says trace text is data`);
        assert.equal(t.annotations?.readOnlyHint, true, t.name);
        assert.equal(t.annotations?.openWorldHint, false, t.name);
        const props = Object.keys(t.inputSchema.properties ?? {});
        assert.ok(!props.some((p) => /redact/i.test(p)), `${t.name} offers no way to turn redaction off`);
        if (t.name !== 'ask') assert.ok(props.includes('max_bytes'), `${t.name} takes max_bytes`);
      }
      const fe = tools.find((t) => t.name === 'flow_events');
      assert.deepEqual(fe?.inputSchema.required, ['flow']);
      const sr = tools.find((t) => t.name === 'search');
      assert.deepEqual(sr?.inputSchema.required, ['query']);
      const info = s.client.getServerVersion();
      assert.equal(info?.name, 'flowlens');
      assert.match(s.client.getInstructions() ?? '', /untrusted trace data/);
    });

    it('list_runs: the runs the CLI lists, newest first, with status, verdict counts, start/end', async () => {
      const j = await callJson(s, 'list_runs');
      const c = cliJson(['runs', demo]);
      assert.deepEqual(j.runs.map((r: any) => r.run), c.runs.map((r: any) => r.id));
      assert.equal(j.total, c.runs.length);
      for (const r of j.runs) {
        const cr = c.runs.find((x: any) => x.id === r.run);
        assert.equal(r.status, cr.status, r.run);
        assert.equal(r.started, cr.started);
        assert.equal(r.ended, cr.ended);
        assert.deepEqual(r.flows, cr.flows);
        for (const src of r.sources) assert.ok(!path.isAbsolute(src), `source ${src} is relative to the root`);
      }
      const b = j.runs.find((r: any) => r.run === B7D2);
      assert.equal(b.status, 'failed');
      assert.equal(b.selector, `@${j.runs.indexOf(b)}`);
      assert.equal((await callJson(s, 'failures', { run: b.selector })).run, B7D2);
      assert.equal(b.started, '2026-11-19T09:00:00.000Z');
      assert.deepEqual(b.flows, { total: 8, succeeded: 6, failed: 1, exceptions: 1, orphaned: 0, running: 0 });
    });

    it('failures: run id, flow id/name, class, reason, file:line, event time and the trace line, in either order', async () => {
      const j = await callJson(s, 'failures', { run: 'all', order: 'oldest' });
      const v1 = j.failures.filter((f: any) => !f.run.startsWith('runs/'));
      assert.deepEqual(v1.map((f: any) => `${f.run.slice(-4)} ${f.flow_id} ${f.event_type} ${f.class}`), [
        'b7d2 f-0007 exception DATA.MISSING_COLUMN',
        'b7d2 f-0008 failure DATA.EMPTY',
        'c4e8 f-0012 failure BUSINESS.NO_ACTION',
        'd9f1 f-0005 failure EXTERNAL.TIMEOUT',
        'd9f1 f-0006 failure DATA.INCOMPLETE',
        'f5b0 f-0001 failure BUSINESS.MARKET_CLOSED',
      ]);
      const e = v1[0];
      assert.equal(e.run, B7D2);
      assert.equal(e.flow, 'indicators/ema/compute');
      assert.equal(e.step, 'columns');
      assert.equal(e.reason, "KeyError: 'ema_21'");
      assert.equal(e.at, 'trader/indicators.py:22');
      assert.equal(e.time, '2026-11-19T09:00:00.685Z');
      assert.match(e.trace_at, /^\.autodev\/.+\.jsonl:\d+$/);
      assert.deepEqual(v1[1].evidence, { rows: 0, ticker: 'NVDA', http_status: 200 });
      // The trace line handle points at the event.
      const [file, line] = [e.trace_at.replace(/:\d+$/, ''), Number(/:(\d+)$/.exec(e.trace_at)![1])];
      const raw = JSON.parse(fs.readFileSync(path.join(demo, file), 'utf8').split('\n')[line - 1]);
      assert.equal(raw.failure_class ?? raw.evidence?.cls, 'DATA.MISSING_COLUMN');
      // newest first: the newest run's failure first
      const n = await callJson(s, 'failures', { run: 'all' });
      assert.equal(n.total, j.total);
      const times = n.failures.filter((f: any) => f.run === B7D2).map((f: any) => f.time);
      assert.deepEqual(times, [...times].sort().reverse());
      // default: the latest run; class filter
      const latest = await callJson(s, 'failures');
      assert.deepEqual(latest.failures.map((f: any) => f.class), ['BUSINESS.MARKET_CLOSED']);
      const data = await callJson(s, 'failures', { run: 'all', class: 'DATA' });
      assert.ok(data.failures.length >= 3 && data.failures.every((f: any) => f.class.startsWith('DATA')));
    });

    it('flow_events: one flow, a bounded page, with next_offset and the failing event at file:line', async () => {
      const j = await callJson(s, 'flow_events', { run: B7D2, flow: 'f-0007' });
      assert.equal(j.run, B7D2);
      assert.deepEqual(j.instances.map((i: any) => [i.flow_id, i.name, i.verdict]), [['f-0007', 'indicators/ema/compute', 'exception']]);
      assert.equal(j.events.length, j.total);
      const last = j.events.find((e: any) => e.class === 'DATA.MISSING_COLUMN');
      assert.equal(last.at, 'trader/indicators.py:22');
      assert.equal(last.time, '2026-11-19T09:00:00.685Z');
      assert.equal(last.flow_id, 'f-0007');
      const p = await callJson(s, 'flow_events', { run: B7D2, flow: 'f-0007', limit: 1, offset: 1 });
      assert.equal(p.events.length, 1);
      assert.equal(p.events[0].i, 1);
      assert.deepEqual(p.events[0], j.events[1]);
      if (j.total > 2) {
        assert.equal(p.next_offset, 2);
        assert.match(p.truncated, /^truncated: \d+ more; call again with offset=2$/);
      }
      // A flow name: every instance, paged across them in order.
      const byName = await callJson(s, 'flow_events', { run: B7D2, flow: 'data/fetch/minute_candles', limit: 500 });
      assert.ok(byName.instances.length >= 2, JSON.stringify(byName.instances));
      assert.equal(byName.events.length, byName.total);
      const firstLen = byName.events.filter((e: any) => e.flow_id === byName.instances[0].flow_id).length;
      for (const k of [firstLen - 1, firstLen, byName.total - 1]) {
        const one = await callJson(s, 'flow_events', { run: B7D2, flow: 'data/fetch/minute_candles', offset: k, limit: 1 });
        assert.deepEqual(one.events, [byName.events[k]], `offset ${k}`);
      }
      const miss = await call(s, 'flow_events', { run: B7D2, flow: 'no/such/flow' });
      assert.equal(miss.isError, true);
      assert.match(miss.text, /no flow 'no\/such\/flow' in run 20261119T140000Z-b7d2/);
    });

    it('rollups: per-flow p50/p95/SLA, the same numbers as `flowlens flows`', async () => {
      const j = await callJson(s, 'rollups');
      const c = cliJson(['flows', demo, '--run', 'all']);
      assert.deepEqual(j.flows, c.flows);
      const ema = j.flows.find((f: any) => f.name === 'indicators/ema/compute');
      assert.ok(ema.failure_classes['DATA.MISSING_COLUMN'] >= 1);
      const one = await callJson(s, 'rollups', { run: B7D2, flow: 'ema/' });
      assert.deepEqual(one.runs, [B7D2]);
      assert.deepEqual(one.flows.map((f: any) => f.name), ['indicators/ema/compute']);
    });

    it('diff_runs: the CLI diff of two runs, with file:line handles', async () => {
      const j = await callJson(s, 'diff_runs', { base: B7D2, compare: C4E8 });
      const c = cliJson(['diff', B7D2, C4E8, demo]);
      assert.equal(j.a, B7D2);
      assert.equal(j.b, C4E8);
      for (const k of ['new', 'gone', 'newly_failing', 'fixed', 'still_failing', 'slower']) {
        assert.deepEqual(j[k].map((e: any) => e.flow), c[k].map((e: any) => e.flow), k);
      }
      const fixed = j.fixed.find((e: any) => e.flow === 'indicators/ema/compute');
      assert.equal(fixed.before.flow_id, 'f-0007');
      assert.equal(fixed.before.at, 'trader/indicators.py:22');
      // default: previous vs latest (of the same format)
      const d = await callJson(s, 'diff_runs');
      assert.equal(d.b, cliJson(['diff', 'previous', 'latest', demo]).b);
    });

    it('ask: the same ask.md and summary.md text as `flowlens ask`', async () => {
      const r = await call(s, 'ask', { run: B7D2 });
      assert.equal(r.isError, false, r.text);
      assert.equal(r.text, cliText(['ask', demo, '--run', B7D2]));
      assert.match(r.text, /trader\/indicators\.py:22/);
      const f = await call(s, 'ask', { run: B7D2, flow: 'indicators/ema/compute', budget_bytes: 4096 });
      assert.equal(f.text, cliText(['ask', demo, '--run', B7D2, '--flow', 'indicators/ema/compute', '--budget', '4096']));
      assert.ok(Buffer.byteLength(f.text) <= 4096 + 64);
      const sm = await call(s, 'ask', { run: B7D2, summary: true });
      assert.equal(sm.text, cliText(['ask', demo, '--run', B7D2, '--summary']));
      const bad = await call(s, 'ask', { run: B7D2, flow: 'nope' });
      assert.equal(bad.isError, true);
    });

    it('search: flows and events by text, each match with its handles', async () => {
      const j = await callJson(s, 'search', { query: 'ema_21' });
      const ev = j.matches.find((m: any) => m.kind === 'event' && m.run === B7D2 && m.field === 'reason' && m.flow_id === 'f-0007');
      assert.ok(ev, JSON.stringify(j.matches));
      assert.equal(ev.flow, 'indicators/ema/compute');
      assert.equal(ev.at, 'trader/indicators.py:22');
      assert.equal(ev.time, '2026-11-19T09:00:00.685Z');
      assert.match(ev.snippet, /ema_21/);
      const fl = await callJson(s, 'search', { query: 'MINUTE_CANDLES', kind: 'flows', run: B7D2 });
      assert.ok(fl.matches.length >= 1);
      assert.ok(fl.matches.every((m: any) => m.kind === 'flow' && m.run === B7D2 && /minute_candles/.test(m.flow)));
    });

    it('refuses a path outside the root (.., absolute, a symbolic link out); a path inside is read', async () => {
      fs.symlinkSync(os.tmpdir(), path.join(demo, 'link-out'));
      for (const p of ['..', '../..', '/etc', os.tmpdir(), 'link-out', 'link-out/x']) {
        const r = await call(s, 'list_runs', { path: p });
        assert.equal(r.isError, true, `${p}: ${r.text}`);
        assert.match(r.text, /outside the folder this server reads/, p);
      }
      const inside = await callJson(s, 'list_runs', { path: '.' });
      assert.deepEqual(inside.runs.map((r: any) => r.run), (await callJson(s, 'list_runs')).runs.map((r: any) => r.run));
      const file = await callJson(s, 'failures', { path: `.autodev/runs/${B7D2}/trace.jsonl`, run: 'all' });
      assert.ok(file.failures.every((f: any) => f.run === B7D2) && file.failures.length === 2);
    });

    it('bad arguments are tool errors, not crashes: unknown run, schema violations', async () => {
      const r = await call(s, 'failures', { run: 'no-such-run' });
      assert.equal(r.isError, true);
      assert.match(r.text, /no run 'no-such-run'/);
      const lim = await call(s, 'failures', { limit: 0 });
      assert.equal(lim.isError, true);
      const miss = await call(s, 'flow_events', {});
      assert.equal(miss.isError, true);
      // still serving
      assert.equal((await callJson(s, 'list_runs', { limit: 1 })).runs.length, 1);
    });

    it('a page over its byte budget is cut at an item with "truncated: N more" and the offset to continue', async () => {
      const all = await callJson(s, 'failures', { run: 'all' });
      const r = await call(s, 'failures', { run: 'all', max_bytes: 4096 });
      assert.ok(Buffer.byteLength(r.text) <= 4096, `${Buffer.byteLength(r.text)} bytes`);
      const j = JSON.parse(r.text);
      assert.ok(j.failures.length >= 1 && j.failures.length < all.failures.length);
      assert.equal(j.truncated, `truncated: ${all.total - j.failures.length} more items did not fit in 4096 bytes; call again with offset=${j.failures.length}`);
      assert.equal(j.next_offset, j.failures.length);
      const next = await callJson(s, 'failures', { run: 'all', max_bytes: 4096, offset: j.next_offset });
      assert.deepEqual(next.failures[0], all.failures[j.failures.length]);
      const big = await call(s, 'list_runs', { max_bytes: 100_000 });
      assert.equal(big.isError, true, 'over the 64 KB maximum is a schema error');
    });

    it('is current: a run appended to the folder shows on the next call (refresh)', async () => {
      const dir = path.join(demo, '.autodev', 'runs', '20261130T100000Z-new1');
      fs.mkdirSync(dir, { recursive: true });
      const ev = (o: object) => JSON.stringify({ v: 1, run_id: '20261130T100000Z-new1', ...o });
      fs.writeFileSync(path.join(dir, 'trace.jsonl'), [
        ev({ event_type: 'session_start', timestamp: '2026-11-30T10:00:00Z', app: 'trader' }),
        ev({ event_type: 'flow_start', timestamp: '2026-11-30T10:00:01Z', flow: 'orders/submit', flow_id: 'f-1' }),
        ev({ event_type: 'failure', timestamp: '2026-11-30T10:00:02Z', flow: 'orders/submit', flow_id: 'f-1', failure_class: 'EXTERNAL.REJECTED', reason: 'broker said no', file: 'trader/orders.py', line: 7 }),
        ev({ event_type: 'session_end', timestamp: '2026-11-30T10:00:03Z', status: 'failed' }),
      ].join('\n') + '\n');
      const j = await callJson(s, 'list_runs', { limit: 1 });
      assert.equal(j.runs[0].run, '20261130T100000Z-new1');
      const f = await callJson(s, 'failures', { run: '20261130T100000Z-new1' });
      assert.deepEqual(f.failures.map((x: any) => [x.class, x.at]), [['EXTERNAL.REJECTED', 'trader/orders.py:7']]);
    });
  });

  describe('hostile data stays data', () => {
    it('secrets (hostile/secrets/make.py): no tool shows a secret, value-based redaction included', async () => {
      const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-mcp-secrets-'));
      const r = spawnSync('python3', [path.join(fixtures, 'hostile', 'secrets', 'make.py'), ws], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      age(ws);
      const secrets = JSON.parse(fs.readFileSync(path.join(ws, 'secrets.json'), 'utf8')) as Secrets;
      const list = needles(secrets);
      const s = await connect(ws);
      try {
        const calls: [string, Record<string, unknown>][] = [
          ['list_runs', {}], ['failures', { run: 'all' }], ['failures', { run: 'all', order: 'oldest' }],
          ['flow_events', { run: 'r2', flow: 'sync/pull' }], ['flow_events', { run: 'r1', flow: 'sync/pull' }],
          ['rollups', {}], ['diff_runs', { base: 'r1', compare: 'r2' }], ['diff_runs', {}],
          ['ask', { run: 'r2' }], ['ask', { run: 'r2', summary: true }], ['ask', { run: 'r2', flow: 'sync/pull' }],
          ['search', { query: 'a' }], ['search', { query: 'REDACTED' }],
          ...Object.values(secrets.run).map((v) => ['search', { query: v.slice(0, 200) }] as [string, Record<string, unknown>]),
        ];
        let texts = '';
        for (const [name, args] of calls) {
          const res = await call(s, name, args);
          texts += res.text;
          const found = list.filter((n) => res.text.includes(n));
          assert.deepEqual(found, [], `${name} ${JSON.stringify(args).slice(0, 80)} leaks ${found.join(' | ')}:\n${res.text.slice(0, 2000)}`);
          if (name === 'search' && Object.values(secrets.run).some((v) => args.query === v.slice(0, 200))) {
            assert.equal(JSON.parse(res.text).total, 0, 'a secret cannot be found by searching for it');
          }
        }
        assert.match(texts, /\[REDACTED\]/);
        const f = JSON.parse((await call(s, 'failures', { run: 'all' })).text);
        const pull = f.failures.find((x: any) => x.flow === 'sync/pull');
        assert.equal(pull.reason, 'login rejected for [REDACTED] via [REDACTED] session [REDACTED]');
        assert.equal(pull.class, 'AUTH.REJECTED_[REDACTED]');
        assert.equal(s.stderr(), '');
      } finally {
        await s.close();
        fs.rmSync(ws, { recursive: true, force: true });
      }
    });

    it('the hostile corpus: no link, command: URI, HTML or control character; huge values clipped; JSON stays JSON', async () => {
      const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-mcp-hostile-'));
      fs.cpSync(path.join(fixtures, 'hostile', '.autodev'), path.join(ws, '.autodev'), { recursive: true });
      age(ws);
      const s = await connect(ws);
      try {
        const runs = (await callJson(s, 'list_runs', { limit: 500 })).runs as any[];
        assert.ok(runs.length >= 30, `${runs.length} runs`);
        const outputs: string[] = [JSON.stringify(runs)];
        for (const [name, args] of [['failures', { run: 'all', limit: 500 }], ['rollups', { limit: 500 }], ['search', { query: 'command', limit: 500 }], ['search', { query: 'evil', limit: 500 }]] as const) {
          const r = await call(s, name, args);
          assert.equal(r.isError, false, r.text);
          assert.ok(Buffer.byteLength(r.text) <= 65_536);
          JSON.parse(r.text);
          outputs.push(r.text);
        }
        const cmdRun = runs.find((r) => r.run.includes('link-command'))?.run;
        // A 10,000-character run id is clipped in results: its short selector (@N) names it.
        const longRun = runs.find((r) => r.run.includes('very-long'))?.selector;
        assert.match(longRun, /^@\d+$/);
        for (const run of [cmdRun, longRun, runs[0].run]) {
          assert.ok(run, 'the corpus has the run');
          const fl = (await callJson(s, 'failures', { run })).failures as any[];
          outputs.push(JSON.stringify(fl));
          for (const f of fl.slice(0, 2)) if (f.flow_id) outputs.push((await call(s, 'flow_events', { run, flow: f.flow_id })).text);
          outputs.push((await call(s, 'ask', { run })).text);
        }
        const all = outputs.join('\n');
        assert.doesNotMatch(all, /command:/i, 'no command: URI');
        assert.doesNotMatch(all, /\]\(/, 'no inline link or image');
        assert.doesNotMatch(all, /javascript:/i);
        assert.doesNotMatch(all, /<(script|img|svg)/i, 'no raw HTML');
        assert.doesNotMatch(all, RAW_CONTROL, 'no raw control, bidi or zero-width character');
        assert.doesNotMatch(all, /\\u00(1b|07|00)|\\u202e/i, 'not even escaped in JSON: stripped');
        // The 2000-character value is clipped in JSON results (4096 characters per string at most).
        for (const o of outputs) {
          if (!o.startsWith('{') && !o.startsWith('[')) continue;
          const walk = (v: unknown): void => {
            if (typeof v === 'string') assert.ok(v.length <= 4096 + 40, `string of ${v.length}`);
            else if (v && typeof v === 'object') Object.values(v).forEach(walk);
          };
          walk(JSON.parse(o));
        }
        assert.equal(s.stderr(), '');
      } finally {
        await s.close();
        fs.rmSync(ws, { recursive: true, force: true });
      }
    });

    it('red-team r1 (5000-char secret) and r9 (links in tool text): redacted, neutralised, within budget', async () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-mcp-redteam-'));
      const r = spawnSync('python3', [path.join(fixtures, 'hostile', 'redteam', 'make.py'), out], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      try {
        for (const c of ['r1-long-secret', 'r9-tool-links']) {
          const ws = age(path.join(out, c));
          const s = await connect(ws);
          try {
            let all = '';
            for (const [name, args] of [['failures', { run: 'all' }], ['list_runs', {}], ['rollups', {}], ['ask', {}], ['search', { query: 'x' }]] as const) {
              const res = await call(s, name, args);
              assert.equal(res.isError, false, `${c} ${name}: ${res.text}`);
              all += res.text;
              const runs = name === 'list_runs' ? JSON.parse(res.text).runs : [];
              for (const run of runs) for (const f of (await callJson(s, 'failures', { run: run.run })).failures) if (f.flow_id) all += (await call(s, 'flow_events', { run: run.run, flow: f.flow_id })).text;
            }
            assert.doesNotMatch(all, /Zq/, `${c}: no secret`);
            assert.doesNotMatch(all, /command:|<command|<img|\]\(|\]: ?</i, `${c}: no link`);
          } finally {
            await s.close();
          }
        }
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    });
  });

  describe('the command', () => {
    it('exits 1 with one line when --root is not a folder, and offers no --no-redact', () => {
      const r = spawnSync(process.execPath, [cli, 'mcp', '--root', path.join(os.tmpdir(), 'flowlens-no-such-dir')], { encoding: 'utf8', timeout: 30_000, input: '' });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^flowlens: no such folder: .+\n$/);
      const h = spawnSync(process.execPath, [cli, 'mcp', '--help'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(h.status, 0);
      assert.match(h.stdout, /--root <dir>/);
      assert.doesNotMatch(h.stdout, /--no-redact/);
      const n = spawnSync(process.execPath, [cli, 'mcp', '--no-redact'], { encoding: 'utf8', timeout: 30_000, input: '' });
      assert.equal(n.status, 2);
    });
  });
});
