// A SQLite worker reply that cannot be deserialised on the caller's side (the worker's
// `messageerror` event) ends the read with a located problem naming the file, instead of leaving
// the caller waiting for the time budget. The reply is made undeserialisable for real: a worker
// (with --expose-internals) posts a JS transferable whose deserialiser names a module that does
// not exist. The pool runs in a child process (the flag must be on the process); the child's
// timeout is the hang guard, and the pool's own budget is set far beyond it.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../../../..');

const WORKER = `
const { parentPort } = require('node:worker_threads');
const { JSTransferable, kClone, kDeserialize } = require('internal/worker/js_transferable');
class Unreadable extends JSTransferable {
  [kClone]() { return { data: {}, deserializeInfo: 'internal/flowlens/no-such-module:Unreadable' }; }
  [kDeserialize]() {}
}
parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, ok: true, value: { rows: [new Unreadable()] } }));
`;

const DRIVER = `
const pool = require(process.argv[2]);
pool.runInWorker(process.argv[3], { op: 'query', file: process.argv[4], sql: 'select 1', opts: {} }, { timeMs: 10 * 60 * 1000 })
  .then((r) => { pool.endIdleWorkers(); process.stdout.write(JSON.stringify(r)); });
`;

describe('sqlite pool: a reply that cannot be deserialised', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-messageerror-'));
    const esbuild = createRequire(path.join(REPO, 'package.json'))('esbuild') as typeof import('esbuild');
    esbuild.buildSync({
      entryPoints: [path.join(REPO, 'src', 'core', 'read', 'sqlite', 'pool.ts')],
      bundle: true, platform: 'node', format: 'cjs', outfile: path.join(dir, 'pool.js'), logLevel: 'error',
    });
    fs.writeFileSync(path.join(dir, 'worker.js'), WORKER);
    fs.writeFileSync(path.join(dir, 'driver.js'), DRIVER);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ends the read with a located problem (not a wait for the time budget)', () => {
    const file = path.join(dir, 'trace.db');
    const r = spawnSync(process.execPath, ['--expose-internals', path.join(dir, 'driver.js'), path.join(dir, 'pool.js'), path.join(dir, 'worker.js'), file], {
      encoding: 'utf8', timeout: 30_000,
    });
    assert.equal(r.signal, null, `the read hung (killed by the hang guard); stderr: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { ok: boolean; error?: { file: string; kind: string; message: string } };
    assert.equal(out.ok, false);
    assert.equal(out.error?.file, file);
    assert.equal(out.error?.kind, 'io');
    assert.ok(out.error?.message.startsWith(`${file}: `), out.error?.message);
    assert.match(out.error?.message ?? '', /reply could not be read/);
  });
});
