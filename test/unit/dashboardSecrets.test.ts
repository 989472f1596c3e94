/**
 * Issue 13, class 3 (secrets) for the dashboard: the model the webview receives for the hostile
 * workspace test/fixtures/hostile/secrets/make.py writes (into a temporary folder) holds no secret anywhere — built
 * exactly as the panel builds it (dashboardRedactor → buildDashboardModel → sanitizeModel), with a
 * 450-char secret whose first 400 characters a cut-before-redaction kept, and a run diff that
 * honours ra.yaml's own redact_keys (`db_dsn`).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDashboardModel, buildDiff, buildTimeline, dashboardRedactor, sanitizeModel, type DashboardInputs } from '../../src/core/render/dashboard';
import { readStores } from '../../src/core/read/sqlite/stores';
import { TraceWorkspace } from '../../src/core/read/workspace';
import { needles, type Secrets } from './hostileSecrets';

const MAKE = path.resolve('test/fixtures/hostile/secrets/make.py');

describe('dashboard: no secret reaches the webview (hostile/secrets)', () => {
  let inputs: DashboardInputs;
  let secrets: Secrets;
  let list: string[];
  let DIR: string;

  before(async () => {
    DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-dash-secrets-'));
    const made = spawnSync('python3', [MAKE, DIR], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(made.status, 0, `make.py: ${made.stderr}`);
    secrets = JSON.parse(fs.readFileSync(path.join(DIR, 'secrets.json'), 'utf8')) as Secrets;
    list = needles(secrets);
    const ws = new TraceWorkspace(DIR, { now: () => Date.parse('2030-01-01T00:00:00Z'), final: true });
    await ws.load({ final: true });
    assert.deepEqual(ws.runs().map((r) => r.id).sort(), ['r1', 'r2']);
    const stores = await readStores(path.join(DIR, 'stores'));
    assert.ok(stores.some((s) => s.kind === 'brainstem'));
    inputs = { runs: ws.runs(), latestRunId: 'r2', catalog: ws.catalog, resolvePath: (f) => ws.pathMap.resolve(f).path, stores };
  });

  after(() => {
    if (DIR) fs.rmSync(DIR, { recursive: true, force: true });
  });

  /** The panel's path: one run-scoped redactor for the model and its sanitising. */
  function webviewText(selection: 'all' | 'latest' | string, flowFilter?: string): string {
    const red = dashboardRedactor(inputs);
    const model = buildDashboardModel({ ...inputs, redactor: red }, selection, flowFilter, { timelineRunId: 'r2', diff: { a: 'r1', b: 'r2' } });
    assert.ok(model.timeline && model.timeline.rows.length > 0);
    assert.ok(model.diff && model.diff.rows.length > 0);
    assert.ok(model.stores.length > 0);
    const safe = sanitizeModel({ model, query: { selection, flowFilter }, folder: 'secrets' }, red, new Map());
    return JSON.stringify(safe);
  }

  it('the whole webview message holds none of the secrets (all runs, latest, a flow filter)', () => {
    for (const [sel, filter] of [['all', undefined], ['latest', undefined], ['r2', 'sync/pull'], ['r1', undefined]] as const) {
      const text = webviewText(sel, filter);
      const found = list.filter((n) => text.includes(n));
      assert.deepEqual(found, [], `${sel}/${filter ?? '-'} leaks: ${found.join(' | ')}`);
      assert.ok(text.includes('[REDACTED]'));
    }
  });

  it('evidence is redacted before the 400-char cut: the 450-char secret leaves nothing of itself', () => {
    const long = secrets.run.long;
    const run = inputs.runs.find((r) => r.id === 'r2');
    assert.ok(run);
    const verdict = [...run.flows.values()].find((f) => f.name === 'sync/pull')?.verdictEvent;
    assert.ok(verdict);
    // What the cut-then-redact order showed: most of the secret, its closing quote cut away.
    const cutFirst = JSON.stringify(verdict.evidence).slice(0, 399);
    assert.ok(cutFirst.includes(long.slice(0, 300)), 'the fixture would have leaked with a cut before redaction');
    const t = buildTimeline({ ...inputs, redactor: dashboardRedactor(inputs) }, run);
    const row = t.rows.find((r) => r.name === 'sync/pull');
    assert.ok(row?.evidence);
    assert.ok(row.evidence.length <= 400);
    assert.ok(!row.evidence.includes(long.slice(0, 12)), row.evidence);
    assert.deepEqual(JSON.parse(row.evidence), { db_dsn: '[REDACTED]', session_token: '[REDACTED]', rows: 0, note: 'seen [REDACTED] and [REDACTED]' });
    // The default redactor (no inputs.redactor) is the same run-scoped one.
    const plain = buildTimeline(inputs, run).rows.find((r) => r.name === 'sync/pull');
    assert.equal(plain?.evidence, row.evidence);
    assert.equal(plain?.reason, 'login rejected for [REDACTED] via [REDACTED] session [REDACTED]');
  });

  it('the run diff honours ra.yaml redact_keys (db_dsn) — and without ra.yaml it would not', () => {
    const [a, b] = ['r1', 'r2'].map((id) => inputs.runs.find((r) => r.id === id));
    assert.ok(a && b);
    const d = buildDiff(inputs, a, b);
    const pull = d.rows.find((r) => r.flow === 'sync/pull' && r.category === 'newly failing');
    assert.ok(pull);
    assert.ok(pull.changes.includes('evidence.db_dsn: [REDACTED] → [REDACTED]'), pull.changes.join('\n'));
    // Names (a flow named with the password) are scrubbed by sanitizeModel, as in the panel.
    const text = JSON.stringify(sanitizeModel(d, dashboardRedactor(inputs), new Map()));
    assert.deepEqual(list.filter((n) => text.includes(n)), []);
    assert.deepEqual(list.filter((n) => JSON.stringify(d.rows.map((r) => r.changes)).includes(n)), [], 'the changes themselves are redacted');
    // Without the catalog (default keys only) the r1 value under db_dsn shows: the check can fail.
    const noRa = buildDiff({ runs: inputs.runs }, a, b);
    const raw = noRa.rows.find((r) => r.flow === 'sync/pull' && r.category === 'newly failing');
    assert.ok(raw?.changes.some((c) => c.startsWith('evidence.db_dsn: ') && c.includes(secrets.run.db_dsn_r1)), raw?.changes.join('\n'));
  });
});
