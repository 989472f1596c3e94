/**
 * The index scan's batches as plain data, for tests that compare the WASM scanner with the JS
 * path (FLOWLENS_INDEX_SCANNER): `withScanner` runs `f` with the scanner chosen, `records`
 * resolves every record's strings (raw records: their object).
 */
import { KIND_LIGHT, type ScanBatch } from '../../src/core/read/index/scan';

export type Rec = Record<string, unknown>;

/** Run `f` with FLOWLENS_INDEX_SCANNER set to `mode` ('js', or a module path), then restore it. */
export async function withScanner<T>(mode: string, f: () => Promise<T>): Promise<T> {
  const before = process.env.FLOWLENS_INDEX_SCANNER;
  process.env.FLOWLENS_INDEX_SCANNER = mode;
  try {
    return await f();
  } finally {
    if (before === undefined) delete process.env.FLOWLENS_INDEX_SCANNER;
    else process.env.FLOWLENS_INDEX_SCANNER = before;
  }
}

/** The records of a scan, one plain object each, strings resolved; `hints`: each record's secret hint too (-1 = none). */
export function records(batches: ScanBatch[]): { recs: Rec[]; malformed: unknown[]; warnings: unknown[]; hints: number[] } {
  const recs: Rec[] = [];
  const malformed: unknown[] = [];
  const warnings: unknown[] = [];
  const hints: number[] = [];
  for (const b of batches) {
    let r = 0;
    const s = (k: number): string | undefined => (k < 0 ? undefined : b.strings[k]);
    for (let i = 0; i < b.n; i++) {
      hints.push(b.hint ? b.hint[i] : -1);
      const head = { offset: b.offset[i], len: b.len[i], line: b.line[i], sub: b.sub[i], kind: b.kind[i] };
      if (b.kind[i] !== KIND_LIGHT) {
        recs.push({ ...head, raw: b.raws[r++] });
        continue;
      }
      recs.push({
        ...head, type: s(b.type[i]), run: s(b.run[i]), flow: s(b.flow[i]), flowId: s(b.flowId[i]), parent: s(b.parent[i]), step: s(b.step[i]),
        failureClass: s(b.failureClass[i]), tags: s(b.tags[i]), corr: s(b.corr[i]), ts: b.ts[i], dur: b.dur[i], sev: b.sev[i],
      });
    }
    malformed.push(...b.malformed);
    warnings.push(...b.warnings);
  }
  return { recs, malformed, warnings, hints };
}
