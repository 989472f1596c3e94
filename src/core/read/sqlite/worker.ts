/**
 * Worker-thread entry of SQLite reads (bundled to dist/sqliteWorker.js by esbuild.mjs; driven by
 * src/core/read/sqlite/pool.ts). Receives {@link JobMessage}s one at a time, runs the in-process
 * reader of core.ts and posts `{id, ok: true, value}` (plain data: structured clone) or
 * `{id, ok: false, message}`. The parent owns the wall clock: it terminates this thread when a
 * read runs over its time budget.
 */
import { parentPort } from 'node:worker_threads';
import { queryStoreInProcess, readFlowscribeDbInProcess, readStoreInProcess } from './core';
import { setSqlWasmPath } from './engine';
import type { JobMessage, JobReply } from './pool';
import { lowerThreadPriority } from '../threadPriority';

const port = parentPort;
if (port) {
  lowerThreadPriority();
  let wasm: string | undefined;
  port.on('message', (m: JobMessage) => {
    void (async () => {
      let reply: JobReply;
      try {
        if (m.wasm && m.wasm !== wasm) {
          wasm = m.wasm;
          setSqlWasmPath(wasm);
        }
        const value =
          m.op === 'readFlowscribeDb'
            ? await readFlowscribeDbInProcess(m.file, m.opts)
            : m.op === 'query'
              ? await queryStoreInProcess(m.file, m.sql ?? '', m.opts)
              : await readStoreInProcess(m.file, m.opts);
        reply = { id: m.id, ok: true, value };
      } catch (e) {
        reply = { id: m.id, ok: false, message: (e as Error)?.message ?? String(e) };
      }
      try {
        port.postMessage(reply);
      } catch (e) {
        port.postMessage({ id: m.id, ok: false, message: `result could not be sent (${(e as Error).message})` } satisfies JobReply);
      }
    })();
  });
}
