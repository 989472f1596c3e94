// [attacker3] round 3: flowscribe 0.1 lines (class from evidence.cls, no run_id, names from
// summary.md) spelled hostilely — duplicate evidence objects, cls not a string, cls and
// failure_class both, escaped keys — the class recorded at merge time (storage flowVerdictClass)
// must be the one the plain read's event has: rollups from the columns, cache and warm agree.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceWorkspace, type WorkspaceOptions } from '../../../src/core/read/workspace';
import { flowRollups } from '../../../src/core/analyze/rollup';
import { workspaceDigest } from '../../support/plainModel';
import { LATER, facts, tmpdir } from './round3Support';

const WASM = path.resolve('dist/scanner.wasm');

async function open(root: string, index: WorkspaceOptions['index'], cache?: string): Promise<TraceWorkspace> {
  const ws = new TraceWorkspace(root, { now: () => LATER, final: true, index, ...(cache ? { indexCache: { dir: cache } } : {}) });
  await ws.load();
  await ws.cacheWritten();
  return ws;
}

const ts = (s: number): string => `2026-11-19T14:00:${String(s).padStart(2, '0')}.000000`;
const line = (type: string, fid: string, s: number, rest: string): string =>
  `{"event_type": "${type}", "flow_id": "${fid}", "step": "x", ${rest}"data": {}, "timestamp": "${ts(s)}", "file": "/a.py", "line": 1, "function": "f"}`;

const LINES = [
  line('checkpoint', 'a1', 1, '"evidence": {"k": 1}, '),
  line('failure', 'a1', 2, '"evidence": {"cls": "First"}, "evidence": {"cls": "Second"}, '),
  line('failure', 'a2', 3, '"evidence": {"cls": 5, "reason": "r"}, '),
  line('failure', 'a3', 4, '"evidence": {"cls": "FromEvidence"}, "failure_class": "Top", '),
  line('failure', 'a4', 5, '"evidence": {"\\u0063ls": "Escaped"}, '),
  line('exception', 'a5', 6, '"evidence": {"type": "KeyError", "message": "m", "cls": "ExcCls"}, '),
  line('failure', 'a6', 7, '"evidence": {"cls": "", "reason": "empty"}, "class": "Alias", '),
  line('failure', 'a7', 8, '"evidence": "cls", '),
  line('failure', 'a8', 9, '"evidence": {"cls": "Ü\\u2028"}, "evidence": null, '),
  line('success', 'a7', 10, '"evidence": {}, '),
  line('failure', 'a7', 11, '"evidence": {"cls": "Again"}, '),
];

describe('[attacker3] round 3: flowscribe 0.1 classes from evidence.cls', () => {
  for (const scanner of ['js', 'wasm']) {
    it(`hostile 0.1 class spellings (${scanner})`, async function () {
      if (scanner === 'wasm') assert.ok(fs.existsSync(WASM), `${WASM} missing: run npm run build first`);
      const was = process.env.FLOWLENS_INDEX_SCANNER;
      process.env.FLOWLENS_INDEX_SCANNER = scanner === 'js' ? 'js' : WASM;
      try {
        const root = tmpdir('r3d');
        const cache = tmpdir('r3d-c');
        const run = path.join(root, 'runs', '20261119T140000Z-ab12');
        fs.mkdirSync(run, { recursive: true });
        fs.writeFileSync(path.join(run, 'trace.jsonl'), LINES.join('\n') + '\n');
        const plain = await open(root, false);
        const want = facts(plain);
        if (process.env.R3_DEBUG) console.log(JSON.stringify(flowRollups(plain.runs()).map((r) => [r.flow, r.instances, r.failureClasses, r.unclassifiedFailures])));
        const cold = await open(root, { minBytes: 0, workers: 0, makeFlows: false }, cache);
        assert.deepEqual(facts(cold), want, 'columns vs plain');
        const warm = await open(root, { minBytes: 0, workers: 0, makeFlows: false }, cache);
        assert.deepEqual(facts(warm), want, 'warm vs plain');
        assert.deepEqual(workspaceDigest(cold), workspaceDigest(plain), 'cold model');
        assert.deepEqual(workspaceDigest(warm), workspaceDigest(plain), 'warm model');
      } finally {
        if (was === undefined) delete process.env.FLOWLENS_INDEX_SCANNER;
        else process.env.FLOWLENS_INDEX_SCANNER = was;
      }
    });
  }
});
