// [attacker3] round 3: hostile traces where the CLI's column path (makeFlows false: rollups, verdict
// counts and run status read through model/flowFacts.ts forEachFlow + build.ts ColdCursor), the
// recorded failure class (storage flowVerdictClass) and the cache written from the columns
// (snapshotRuns → FlowTable → persist.ts encode) must agree with a plain read and a warm reopen.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { workspaceDigest } from '../../support/plainModel';
import { facts, openFile, tmpdir } from './round3Support';

const COLD = { minBytes: 0, workers: 0, makeFlows: false } as const;

/** Plain read vs cold columns vs cold-with-cache vs warm reopen (columns and made). */
async function compare(lines: string[] | Buffer, label: string): Promise<void> {
  // The WASM scanner is part of the build: missing, its half of each comparison would silently read JS.
  assert.ok(fs.existsSync(WASM), `${WASM} missing: run npm run build first`);
  for (const scanner of SCANNERS) {
    const was = process.env.FLOWLENS_INDEX_SCANNER;
    process.env.FLOWLENS_INDEX_SCANNER = scanner;
    try {
      await compareOnce(lines, `${label} [${scanner === 'js' ? 'js' : 'wasm'}]`);
    } finally {
      if (was === undefined) delete process.env.FLOWLENS_INDEX_SCANNER;
      else process.env.FLOWLENS_INDEX_SCANNER = was;
    }
  }
}

const WASM = path.resolve('dist/scanner.wasm');
const SCANNERS = ['js', WASM];

async function compareOnce(lines: string[] | Buffer, label: string): Promise<void> {
  const root = tmpdir('t');
  const file = path.join(root, 'trace.jsonl');
  fs.writeFileSync(file, Buffer.isBuffer(lines) ? lines : lines.join('\n') + '\n');
  const plain = await openFile(file, false);
  const want = facts(plain.ws);
  const wantModel = workspaceDigest(plain.ws);
  const cold = await openFile(file, COLD);
  assert.deepEqual(facts(cold.ws), want, `${label}: cold columns (makeFlows false) vs plain`);
  assert.deepEqual(workspaceDigest(cold.ws), wantModel, `${label}: cold model vs plain`);
  const cache = tmpdir('c');
  const first = await openFile(file, COLD, cache);
  assert.deepEqual(facts(first.ws), want, `${label}: cold (writing cache) vs plain`);
  const warm = await openFile(file, COLD, cache);
  assert.ok(warm.notes.some((n) => n.includes(': restored ')), `${label}: restored: ${warm.notes.join('; ')}`);
  assert.deepEqual(facts(warm.ws), want, `${label}: warm reopen vs plain`);
  assert.deepEqual(workspaceDigest(warm.ws), wantModel, `${label}: warm model vs plain`);
  assert.deepEqual(workspaceDigest(first.ws), wantModel, `${label}: cache-writing model vs plain`);
}

const J = JSON.stringify;
const T = (s: number): string => `2026-11-20T10:00:${String(s).padStart(2, '0')}Z`;
const start = (r = 'r1'): string => J({ v: 1, event_type: 'session_start', run_id: r, timestamp: T(0), app: 'a' });
const ev = (o: Record<string, unknown>): string => J({ v: 1, run_id: 'r1', ...o });

describe('[attacker3] round 3: column rollups / recorded failure class / cache from columns', () => {
  it('failure classes spelled via aliases, escapes, duplicates, numbers, non-ASCII', async () => {
    const L = [start()];
    L.push(ev({ event_type: 'flow_start', flow: 'A', flow_id: 'a1', timestamp: T(1) }));
    L.push(ev({ event_type: 'failure', flow: 'A', flow_id: 'a1', timestamp: T(2), class: 'ViaClass' }));
    L.push(ev({ event_type: 'failure', flow: 'A', flow_id: 'a2', timestamp: T(3), error_class: 'ViaErrorClass' }));
    L.push('{"v":1,"run_id":"r1","event_type":"failure","flow":"A","flow_id":"a3","timestamp":"' + T(4) + '","failure_\\u0063lass":"Escaped"}');
    L.push('{"v":1,"run_id":"r1","event_type":"failure","flow":"A","flow_id":"a4","timestamp":"' + T(5) + '","failure_class":"First","failure_class":"Second"}');
    L.push(ev({ event_type: 'exception', flow: 'A', flow_id: 'a5', timestamp: T(6), failure_class: 42 }));
    L.push(ev({ event_type: 'failure', flow: 'A', flow_id: 'a6', timestamp: T(7), failure_class: 'Ünïcødé\u2028x' }));
    L.push(ev({ event_type: 'failure', flow: 'A', flow_id: 'a7', timestamp: T(8), failure_class: 'Real', class: 'Alias' }));
    L.push(ev({ event_type: 'failure', flow: 'A', flow_id: 'a8', timestamp: T(9), failure_class: '', class: 'AliasWhenEmpty' }));
    L.push('{"v":1,"run_id":"r1","event_type":"failure","flow":"A","flow_id":"a9","timestamp":"' + T(10) + '","failure_class":"Dup","class":"X","class":"Y"}');
    L.push(ev({ event_type: 'exception', flow: 'A', flow_id: 'a10', timestamp: T(11), exception: { type: 'ExcType', message: 'm' } }));
    L.push(ev({ event_type: 'failure', flow: 'A', flow_id: 'a11', timestamp: T(12), failure_class: null }));
    await compare(L, 'aliases');
  });

  it('failure → success → failure, verdicts without time, equal times, children before parents', async () => {
    const L = [start()];
    L.push(ev({ event_type: 'flow_start', flow: 'B', flow_id: 'kid', parent_flow_id: 'par', timestamp: T(1) }));
    L.push(ev({ event_type: 'failure', flow: 'B', flow_id: 'kid', timestamp: T(2), failure_class: 'K1' }));
    L.push(ev({ event_type: 'flow_start', flow: 'B', flow_id: 'par', timestamp: T(1) }));
    L.push(ev({ event_type: 'success', flow: 'B', flow_id: 'kid', timestamp: T(3) }));
    L.push(ev({ event_type: 'failure', flow: 'B', flow_id: 'kid', failure_class: 'K2' }));
    L.push(ev({ event_type: 'failure', flow: 'B', flow_id: 'par', timestamp: T(2), failure_class: 'P1' }));
    L.push(ev({ event_type: 'failure', flow: 'B', flow_id: 'x1', timestamp: T(2), failure_class: 'E1' }));
    L.push(ev({ event_type: 'exception', flow: 'B', flow_id: 'x2', timestamp: T(2), failure_class: 'E2' }));
    L.push(ev({ event_type: 'failure', flow: 'B', flow_id: 'x3', failure_class: 'U1' }));
    L.push(ev({ event_type: 'failure', flow: 'B', flow_id: 'x4', timestamp: 'not a time', failure_class: 'U2' }));
    L.push(ev({ event_type: 'failure', flow: 'B', flow_id: 'x5', timestamp: 1e16, failure_class: 'U3' }));
    L.push(ev({ event_type: 'exception', flow: 'B', flow_id: 'x6', ts: T(4), failure_class: 'AliasTs' }));
    L.push(ev({ event_type: 'failure', flow: 'B', flow_id: 'x6', timestamp: T(1), failure_class: 'Earlier' }));
    L.push(ev({ event_type: 'failure', flow_name: 'C', flow_id: 'c1', timestamp: T(5), failure_class: 'NameAlias' }));
    L.push(ev({ event_type: 'failure', flow_id: 'u1', timestamp: T(5) }));
    await compare(L, 'order');
  });

  it('correlation texts the cache keeps as they are, and merged ones it writes with JSON.stringify', async () => {
    const L = [start()];
    const raw = (fid: string, s: number, corr: string, type = 'checkpoint'): string =>
      `{"v":1,"run_id":"r1","event_type":"${type}","flow":"K","flow_id":"${fid}","timestamp":"${T(s)}","correlation":${corr}}`;
    L.push(raw('c1', 1, '{"a":1,"a":2}'));
    L.push(raw('c2', 1, '{"__proto__":{"x":1},"b":2}'));
    L.push(raw('c3', 1, '{"\u0061":"\ud800","big":123456789012345678901234567890}'));
    L.push(raw('c4', 1, ' { "sp" : 1 } '));
    L.push(raw('c5', 1, '{}'));
    // Two different texts in one flow: merged (an object, written with JSON.stringify).
    L.push(raw('m3', 1, '{"__proto__":{"x":1}}'));
    L.push(raw('m3', 2, '{"o":1,"__proto__":5}', 'success'));
    L.push(raw('m4', 1, '{"2":1,"b":1}'));
    L.push(raw('m4', 2, '{"1":1,"a":1}', 'success'));
    await compare(L, 'correlations');
  });

  it('invalid UTF-8, NUL and line separators inside class names and correlation texts', async () => {
    const parts: Buffer[] = [Buffer.from(start() + '\n')];
    const line = (fid: string, s: number, cls: Buffer, corr: Buffer, type = 'failure'): Buffer =>
      Buffer.concat([
        Buffer.from(`{"v":1,"run_id":"r1","event_type":"${type}","flow":"U","flow_id":"${fid}","timestamp":"${T(s)}","failure_class":"`),
        cls, Buffer.from('","correlation":{"k":"'), corr, Buffer.from('"}}\n'),
      ]);
    parts.push(line('u1', 1, Buffer.from([0xff, 0x41]), Buffer.from([0xc0, 0xaf])));
    parts.push(line('u2', 2, Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x80, 0xa8])));
    parts.push(line('u3', 3, Buffer.from('\\u0000nul'), Buffer.from([0xf4, 0x90, 0x80, 0x80])));
    parts.push(line('u4', 4, Buffer.from([0xe2, 0x80, 0xa9]), Buffer.from('\\ud83d')));
    parts.push(line('u4', 5, Buffer.from('x'), Buffer.from([0xcf]), 'checkpoint'));
    parts.push(line('u5', 6, Buffer.from([0xc3, 0xa9]), Buffer.from([0xc3, 0xa9])));
    parts.push(line('u5', 7, Buffer.from('e\u0301'), Buffer.from('e\u0301'), 'exception'));
    await compare(Buffer.concat(parts), 'bytes');
  });

  // F3 (pre-existing, low; fixed in normalize.ts setCorrelation): a correlation value JSON cannot
  // write back (1e400 → Infinity, -0) was Infinity / -0 in a plain read but null / 0 in the cold
  // index (its correlation is safeStringify text: index/scan.ts, the WASM scanner) and the cache.
  // Every read now keeps the correlation as JSON writes it back.
  it('correlation numbers JSON cannot write back (1e400, -0) read the same cold, warm and plain (F3)', async () => {
    const L = [start()];
    const raw = (fid: string, s: number, corr: string, type = 'checkpoint'): string =>
      `{"v":1,"run_id":"r1","event_type":"${type}","flow":"K","flow_id":"${fid}","timestamp":"${T(s)}","correlation":${corr}}`;
    L.push(raw('c6', 1, '{"n":1e400}'));
    L.push(raw('c7', 1, '{"z":-0}'));
    L.push(raw('m1', 1, '{"n":1e400}'));
    L.push(raw('m1', 2, '{"o":1}', 'success'));
    L.push(raw('m2', 1, '{"z":-0}'));
    L.push(raw('m2', 2, '{"o":1}', 'success'));
    await compare(L, 'unstringifiable correlations');
  });
});
