/**
 * Run-scoped redaction through the CLI's fast path (issue 15): a file big enough for the cold
 * index (over 32 MiB), whose run-scoped secrets come from lines the index's prefilter must flag —
 * a key written `\u0070assword`, a key with non-ASCII around it, `apiKey`, a URL password, a flag
 * argument, `mysql -p…`, a YAML block — among ~140k ordinary and pre-redacted lines. Each secret
 * is also part of a flow name, so `flows --json` prints it unless the run-scoped redactor knows
 * it. With `--no-redact` the names are printed as written, so the check can fail.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hiddenSecretLines } from '../hiddenSecrets';

const repo = path.resolve(__dirname, '../../../..');
const cli = path.join(repo, 'dist', 'cli.js');

function flows(file: string, extra: string[] = []): { code: number | null; out: string; err: string } {
  // The index cache goes to a folder of the test's own (removed with it), never the user's.
  const env = { ...process.env, FLOWLENS_CACHE_DIR: path.join(path.dirname(file), 'cache') };
  const r = spawnSync(process.execPath, [cli, 'flows', file, '--run', 'all', '--json', ...extra], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('CLI: run-scoped secrets of a big indexed file (the fast path)', () => {
  let dir = '';
  let file = '';
  let secrets: string[] = [];
  before(function () {
    this.timeout(120_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-cli-indexed-'));
    file = path.join(dir, 'trace.jsonl');
    const run = '20261201T090000Z-big1';
    const hidden = hiddenSecretLines(run);
    secrets = hidden.secrets;
    const out = fs.openSync(file, 'w');
    try {
      let chunk: string[] = [JSON.stringify({ v: 1, event_type: 'session_start', run_id: run, timestamp: '2026-12-01T08:59:59Z', app: 'trader' })];
      let bytes = 0;
      for (let k = 0; bytes < 34 << 20; k++) {
        const ts = new Date(Date.parse('2026-12-01T09:00:00Z') + k).toISOString();
        const id = `f-${String(k).padStart(7, '0')}`;
        chunk.push(
          JSON.stringify({ v: 1, event_type: 'flow_start', run_id: run, timestamp: ts, flow: 'orders/submit', flow_id: id, tags: ['AAPL'], file: 'trader/orders.py', line: 7, function: 'submit', thread: 'MainThread' }),
          JSON.stringify({ v: 1, event_type: 'checkpoint', run_id: run, timestamp: ts, flow: 'orders/submit', flow_id: id, step: 'send', evidence: { side: 'buy', qty: k % 50, password: '***REDACTED***' }, file: 'trader/orders.py', line: 9, function: 'submit', thread: 'MainThread' }),
          JSON.stringify({ v: 1, event_type: 'success', run_id: run, timestamp: ts, flow: 'orders/submit', flow_id: id, step: 'ack', reason: 'ack received', duration_ms: k % 90, file: 'trader/orders.py', line: 16, function: 'submit', thread: 'MainThread' }),
        );
        // The hidden secrets sit in the middle of the file, far from its first lines.
        if (k === 20_000) chunk.push(...hidden.lines);
        if (chunk.length >= 3000) {
          const text = chunk.join('\n') + '\n';
          fs.writeSync(out, text);
          bytes += text.length;
          chunk = [];
        }
      }
      fs.writeSync(out, chunk.join('\n') + '\n');
    } finally {
      fs.closeSync(out);
    }
    assert.ok(fs.statSync(file).size > 32 << 20, 'over the cold-index threshold');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('flows --json prints none of them (and --no-redact does, so the check can fail)', function () {
    this.timeout(240_000);
    const red = flows(file);
    assert.equal(red.code, 0, red.err);
    const doc = JSON.parse(red.out) as { flows: { name: string; instances: number }[] };
    assert.ok(doc.flows.some((f) => f.name === 'orders/submit' && f.instances > 40_000), 'the whole file was read');
    for (const s of secrets) assert.ok(!red.out.includes(s) && !red.err.includes(s), `${s} leaked`);
    assert.equal(doc.flows.filter((f) => f.name === 'deploy/[REDACTED]/step').length, secrets.length, 'each flow named with a secret is listed, redacted');
    // Restored from the index cache the first run wrote (hints included): the same output.
    assert.ok(fs.readdirSync(path.join(dir, 'cache')).some((f) => f.endsWith('.flidx')), 'the first run wrote the index cache');
    const again = flows(file);
    assert.equal(again.code, 0, again.err);
    assert.equal(again.out, red.out);
    const raw = flows(file, ['--no-redact']);
    assert.equal(raw.code, 0, raw.err);
    for (const s of secrets) assert.ok(raw.out.includes(`deploy/${s}/step`), `--no-redact prints ${s}`);
  });
});
