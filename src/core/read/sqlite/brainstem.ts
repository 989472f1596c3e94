/**
 * brainstem operational memory adapter (formats.md §5, inferred): raw_envelopes,
 * canonical_events, signatures, candidates.
 */
import type { Database } from './engine';
import type { TableInfo } from './detect';
import { rows, num, str } from './query';

export interface BrainstemFailure {
  id: number;
  status: string;
  reason?: string;
  source?: string;
  host?: string;
  service?: string;
  timestamp?: string;
  message?: string;
}

export interface BrainstemSignature {
  id: number;
  key?: string;
  family?: string;
  service?: string;
  occurrences: number;
  firstSeen?: string;
  lastSeen?: string;
}

export interface BrainstemBand {
  band: string;
  count: number;
  maxScore?: number;
  candidates: { id: number; type?: string; score?: number; title?: string; signatureId?: number }[];
}

export interface BrainstemRollup {
  envelopes: number;
  byStatus: Record<string, number>;
  /** Counts by `source_type`. */
  bySource: Record<string, number>;
  /** Counts by `source_type` then status. */
  bySourceStatus: Record<string, Record<string, number>>;
  /** parse_failed + unsupported envelopes, by status and reason. */
  failureReasons: { status: string; reason?: string; count: number }[];
  /** The latest failures (newest first, up to `failureLimit`). */
  failures: BrainstemFailure[];
  failuresTotal: number;
  canonicalEvents?: number;
  topSignatures: BrainstemSignature[];
  candidatesByBand: BrainstemBand[];
}

export const FAILURE_STATUSES = ['parse_failed', 'unsupported'] as const;

const col = (t: TableInfo | undefined, c: string, alt = 'NULL'): string => (t?.columns.includes(c) ? c : alt);

/** The named SQL queries of the brainstem rollup (the bench runs them on the sqlite3 CLI too). */
export function brainstemQueries(tables: readonly TableInfo[], opts: { failureLimit?: number; topSignatures?: number } = {}): Record<string, string> {
  // Only real tables: a view by one of these names is never queried.
  const t = (n: string): TableInfo | undefined => tables.find((x) => x.name === n && (x.type ?? 'table') === 'table');
  const raw = t('raw_envelopes');
  const sig = t('signatures');
  const cand = t('candidates');
  const q: Record<string, string> = {
    byStatusSource: `SELECT ${col(raw, 'source_type')}, status, count(*) FROM raw_envelopes GROUP BY 1, 2`,
    failureReasons: `SELECT status, ${col(raw, 'failure_reason')}, count(*) FROM raw_envelopes WHERE status IN ('parse_failed','unsupported') GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`,
    failures: `SELECT id, status, ${col(raw, 'failure_reason')}, ${col(raw, 'source_type')}, ${col(raw, 'host')}, ${col(raw, 'service')}, ${col(raw, 'timestamp')}, ${col(raw, 'message_raw')} FROM raw_envelopes WHERE status IN ('parse_failed','unsupported') ORDER BY id DESC LIMIT ${opts.failureLimit ?? 50}`,
  };
  if (t('canonical_events')) q.canonical = `SELECT count(*) FROM canonical_events`;
  if (sig) {
    q.topSignatures = `SELECT id, ${col(sig, 'signature_key')}, ${col(sig, 'event_family')}, ${col(sig, 'service')}, ${col(sig, 'occurrence_count', '0')}, ${col(sig, 'first_seen')}, ${col(sig, 'last_seen')} FROM signatures ORDER BY 5 DESC, id LIMIT ${opts.topSignatures ?? 10}`;
  }
  if (cand) {
    q.candidates = `SELECT id, ${col(cand, 'decision_band')}, ${col(cand, 'candidate_type')}, ${col(cand, 'score_total')}, ${col(cand, 'title')}, ${col(cand, 'signature_id')} FROM candidates ORDER BY 4 DESC, id`;
  }
  return q;
}

/** Counts by status and source, failures with reasons, top signatures, candidates by band (§5). */
export function brainstemRollup(db: Database, tables: readonly TableInfo[], opts: { failureLimit?: number; topSignatures?: number } = {}): BrainstemRollup {
  const q = brainstemQueries(tables, opts);
  // Keys are store data (a source_type may be "__proto__"): null-prototype records.
  const byStatus: Record<string, number> = Object.create(null);
  const bySource: Record<string, number> = Object.create(null);
  const bySourceStatus: Record<string, Record<string, number>> = Object.create(null);
  let envelopes = 0;
  for (const [src, status, n] of rows(db, q.byStatusSource)) {
    const s = str(src) ?? '';
    const st = str(status) ?? '';
    byStatus[st] = (byStatus[st] ?? 0) + num(n);
    bySource[s] = (bySource[s] ?? 0) + num(n);
    (bySourceStatus[s] ??= Object.create(null) as Record<string, number>)[st] = num(n);
    envelopes += num(n);
  }
  const failureReasons = rows(db, q.failureReasons).map(([status, reason, n]) => ({ status: str(status) ?? '', reason: str(reason), count: num(n) }));
  const failures = rows(db, q.failures).map(([id, status, reason, source, host, service, ts, msg]): BrainstemFailure => ({
    id: num(id),
    status: str(status) ?? '',
    reason: str(reason),
    source: str(source),
    host: str(host),
    service: str(service),
    timestamp: str(ts),
    message: str(msg),
  }));
  const topSignatures = q.topSignatures
    ? rows(db, q.topSignatures).map(([id, key, fam, svc, n, first, last]): BrainstemSignature => ({
        id: num(id),
        key: str(key),
        family: str(fam),
        service: str(svc),
        occurrences: num(n),
        firstSeen: str(first),
        lastSeen: str(last),
      }))
    : [];
  const bands = new Map<string, BrainstemBand>();
  if (q.candidates) {
    for (const [id, band, type, score, title, sigId] of rows(db, q.candidates)) {
      const b = str(band) ?? '';
      let e = bands.get(b);
      if (!e) bands.set(b, (e = { band: b, count: 0, candidates: [] }));
      e.count++;
      const sc = typeof score === 'number' ? score : undefined;
      if (sc !== undefined && (e.maxScore === undefined || sc > e.maxScore)) e.maxScore = sc;
      e.candidates.push({ id: num(id), type: str(type), score: sc, title: str(title), signatureId: typeof sigId === 'number' ? sigId : undefined });
    }
  }
  return {
    envelopes,
    byStatus,
    bySource,
    bySourceStatus,
    failureReasons,
    failures,
    failuresTotal: failureReasons.reduce((a, r) => a + r.count, 0),
    canonicalEvents: q.canonical ? num(rows(db, q.canonical)[0]?.[0]) : undefined,
    topSignatures,
    candidatesByBand: [...bands.values()].sort((a, b) => b.count - a.count || (a.band < b.band ? -1 : 1)),
  };
}
