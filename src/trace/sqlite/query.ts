/** Small query helpers over sql.js (prepared statements, always freed). */
import type { Database } from './engine';

export type Row = (number | string | Uint8Array | null)[];

/** All rows of `sql` as arrays. */
export function rows(db: Database, sql: string, params: (number | string | null)[] = []): Row[] {
  const st = db.prepare(sql);
  try {
    if (params.length) st.bind(params);
    const out: Row[] = [];
    while (st.step()) out.push(st.get() as Row);
    return out;
  } finally {
    st.free();
  }
}

/** Visit each row of `sql` without collecting them. */
export function each(db: Database, sql: string, fn: (r: Row) => void, params: (number | string | null)[] = []): void {
  const st = db.prepare(sql);
  try {
    if (params.length) st.bind(params);
    while (st.step()) fn(st.get() as Row);
  } finally {
    st.free();
  }
}

export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));
export const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : typeof v === 'string' ? v : String(v));
