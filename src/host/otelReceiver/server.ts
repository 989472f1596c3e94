/**
 * The live OTLP/HTTP receiver: a loopback-only `POST /v1/traces` server appending each OTLP/JSON batch as one line to `.flowlens/otlp/received-<date>.otlp.jsonl`.
 *
 * Issue 18 item 3.
 * No `vscode` import: register.ts decides when it runs (opt-in setting, trusted file workspace)
 * and unit tests drive it with the real OpenTelemetry JS exporter. What it enforces
 * (docs/otel.md "Receiving spans live", docs/security.md):
 * - binds 127.0.0.1 only; a request whose `Host` is not a loopback name (DNS rebinding), that
 *   carries an `Origin` (a web page), or that comes from a non-loopback peer gets 403; no CORS;
 * - `POST /v1/traces` only (404/405 otherwise), `Content-Type: application/json` (protobuf and
 *   anything else: 415 with a message naming `http/json`), `Content-Encoding` identity or gzip;
 * - a body (before and after gunzip) over `maxBodyBytes` gets 413; all bodies being read or written
 *   share one buffer of `bufferBytes`, beyond which a request gets 503 + `Retry-After`; both count
 *   as dropped;
 * - the files rotate at {@link MAX_FILE_BYTES} or {@link MAX_FILE_SPANS}; when the received files
 *   together reach {@link MAX_STORED_BYTES} a batch is answered 200 with `partialSuccess`
 *   (rejected spans, a message) and counted as dropped — never retried, never written.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { isInside, realRoot } from '../../core/read/ingress/safeFile';
import { safeWriteFile } from '../../core/read/ingress/safeWrite';

/** Where received batches go, relative to the workspace folder. */
export const RECEIVED_DIR = '.flowlens/otlp';
/** One received file holds at most this many bytes, then the next one starts. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** … or this many spans (≈ 3 events each, well under the default 200,000 events per source). */
export const MAX_FILE_SPANS = 50_000;
/** All `received-*.otlp.jsonl` files together: beyond this nothing more is written. */
export const MAX_STORED_BYTES = 256 * 1024 * 1024;
/** OTLP's path for traces. */
export const TRACES_PATH = '/v1/traces';
/** Open connections at once; beyond, new sockets are closed at once (slow clients must not exhaust the extension host's file descriptors). */
export const MAX_CONNECTIONS = 64;

const RECEIVED_NAME = /^received-\d{4}-\d{2}-\d{2}(?:-\d+)?\.otlp\.jsonl$/;

export interface ReceiverOptions {
  /** The workspace folder the received files are written into. */
  root: string;
  /** 0 = any free port. */
  port: number;
  /** Largest request body, compressed and uncompressed. */
  maxBodyBytes: number;
  /** Bytes of bodies being read or written at once (default 2 × maxBodyBytes, at least 32 MiB). */
  bufferBytes?: number;
  /** Called after each accepted batch, each drop and each storage note (logging, status bar). */
  onActivity?: (what: ReceiverActivity) => void;
  /** The date in file names (tests); default now. */
  now?: () => Date;
}

export type ReceiverActivity =
  | { kind: 'accepted'; file: string; spans: number; bytes: number }
  | { kind: 'dropped'; status: number; reason: string; spans: number }
  | { kind: 'rotated'; file: string }
  | { kind: 'full'; stored: number };

/** What the receiver has done since it started. */
export interface ReceiverStats {
  /** Batches written. */
  batches: number;
  /** Spans written. */
  spans: number;
  /** Requests refused for size, a full buffer or full storage. */
  droppedRequests: number;
  /** Spans in refused requests whose spans could be counted (full storage); 413/503 bodies are not parsed. */
  droppedSpans: number;
  /** The file the next batch goes to (absolute), once one was written. */
  file?: string;
}

/** True for a loopback `Host` header value: `localhost`, `127.x.x.x`, `[::1]`, with or without a port. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (typeof host !== 'string') return false;
  const h = host.trim().toLowerCase();
  let name: string;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return false;
    name = h.slice(1, end);
    const rest = h.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return false;
    return name === '::1';
  }
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(h);
  if (!m) return false;
  name = m[1].replace(/\.$/, '');
  if (name === 'localhost') return true;
  return /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(name) && name.split('.').every(p => Number(p) <= 255);
}

/** True for a loopback peer address (`127.0.0.0/8`, `::1`, IPv4-mapped `::ffff:127.x`). */
export function isLoopbackAddress(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = addr.replace(/^::ffff:/i, '');
  return a === '::1' || /^127\./.test(a);
}

/** How a request body is encoded, or why it is refused (415). */
export function bodyKind(contentType: string | undefined, contentEncoding: string | undefined): { ok: true; gzip: boolean } | { ok: false; message: string } {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf')
    return { ok: false, message: 'Flowlens receives OTLP/JSON only: set OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json (or use @opentelemetry/exporter-trace-otlp-http, opentelemetry-exporter-otlp-proto-http is protobuf)' };
  if (type !== 'application/json') return { ok: false, message: `unsupported Content-Type ${JSON.stringify(type || '(none)')}: send OTLP/JSON as application/json` };
  const enc = (contentEncoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return { ok: true, gzip: false };
  if (enc === 'gzip') return { ok: true, gzip: true };
  return { ok: false, message: `unsupported Content-Encoding ${JSON.stringify(enc)}: send identity or gzip` };
}

/** Spans in an OTLP/JSON batch (`resourceSpans[].scopeSpans[].spans[]`), or undefined when it is not one. */
export function countSpans(batch: unknown): number | undefined {
  if (typeof batch !== 'object' || batch === null || Array.isArray(batch)) return undefined;
  const rs = (batch as { resourceSpans?: unknown }).resourceSpans;
  if (!Array.isArray(rs)) return undefined;
  let n = 0;
  for (const r of rs) {
    const ss = (r as { scopeSpans?: unknown } | null)?.scopeSpans;
    if (!Array.isArray(ss)) continue;
    for (const s of ss) {
      const spans = (s as { spans?: unknown } | null)?.spans;
      if (Array.isArray(spans)) n += spans.length;
    }
  }
  return n;
}

/** `received-<UTC date>.otlp.jsonl`, then `-2`, `-3` … within one day. */
export function receivedName(date: Date, part: number): string {
  const d = date.toISOString().slice(0, 10);
  return part <= 1 ? `received-${d}.otlp.jsonl` : `received-${d}-${part}.otlp.jsonl`;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly dropped = false) {
    super(message);
  }
}

/**
 * One receiver: `start()` listens on 127.0.0.1, `stop()` closes it (and open connections).
 * Batches are written one after another in arrival order; a request is answered once its line is
 * on disk, so whoever sent it can read it back.
 */
export class OtlpReceiver {
  private server: http.Server | undefined;
  private inFlight = 0;
  private chain: Promise<void> = Promise.resolve();
  private file: { name: string; bytes: number; spans: number; day: string; part: number } | undefined;
  private stored: number | undefined;
  private fullNoted = false;
  private readonly bufferBytes: number;
  readonly stats: ReceiverStats = { batches: 0, spans: 0, droppedRequests: 0, droppedSpans: 0 };
  /** The absolute folder the files go to. */
  readonly dir: string;

  constructor(private readonly opts: ReceiverOptions) {
    this.dir = path.join(opts.root, ...RECEIVED_DIR.split('/'));
    this.bufferBytes = opts.bufferBytes ?? Math.max(32 * 1024 * 1024, 2 * opts.maxBodyBytes);
  }

  /** The port listened on (after `start()`). */
  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? (a as AddressInfo).port : undefined;
  }

  /** Listens on 127.0.0.1:`port`; rejects with the listen error (EADDRINUSE …) and leaves nothing open. */
  start(): Promise<number> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.headersTimeout = 30_000;
    server.requestTimeout = 60_000;
    server.keepAliveTimeout = 5_000;
    server.maxConnections = MAX_CONNECTIONS;
    return new Promise((resolve, reject) => {
      server.once('error', err => { server.close(); reject(err); });
      server.listen({ host: '127.0.0.1', port: this.opts.port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', () => { /* per-connection errors are answered per request */ });
        this.server = server;
        resolve(this.port as number);
      });
    });
  }

  /** Stops listening and closes every connection; pending writes finish. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) {
      await new Promise<void>(r => { s.close(() => r()); s.closeAllConnections(); });
    }
    await this.chain;
  }

  private send(res: http.ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
    if (res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), 'X-Content-Type-Options': 'nosniff', ...headers });
    res.end(text);
  }

  /** A google.rpc.Status-like error body (what OTLP/HTTP servers answer). */
  private fail(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
    this.send(res, status, { code: status === 400 ? 3 : status === 413 ? 8 : status === 503 ? 14 : 7, message }, headers);
  }

  private drop(status: number, reason: string, spans = 0): void {
    this.stats.droppedRequests++;
    this.stats.droppedSpans += spans;
    this.opts.onActivity?.({ kind: 'dropped', status, reason, spans });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const refuse = (status: number, message: string): void => {
      // Do not read a refused body; close the connection once answered.
      res.setHeader('Connection', 'close');
      this.fail(res, status, message);
      req.resume();
    };
    if (!isLoopbackAddress(req.socket.remoteAddress)) return refuse(403, 'loopback clients only');
    if (!isLoopbackHost(req.headers.host)) return refuse(403, 'Host must be localhost, 127.0.0.1 or [::1] (DNS rebinding protection)');
    if (req.headers.origin !== undefined) return refuse(403, 'browser requests (Origin) are not accepted');
    const url = (req.url ?? '').split('?')[0];
    if (url !== TRACES_PATH) return refuse(404, `not found: Flowlens receives traces at POST ${TRACES_PATH}`);
    if (req.method !== 'POST') { res.setHeader('Allow', 'POST'); return refuse(405, `method ${req.method ?? ''} not allowed: POST ${TRACES_PATH}`); }
    const kind = bodyKind(req.headers['content-type'], req.headers['content-encoding']);
    if (!kind.ok) return refuse(415, kind.message);
    const max = this.opts.maxBodyBytes;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      this.drop(413, `body of ${declared} bytes over the ${max}-byte limit`);
      return refuse(413, `body of ${declared} bytes is over the limit of ${max} bytes (flowlens.otel.receiver.maxBodyMB)`);
    }
    if (Number.isFinite(declared) && this.inFlight + declared > this.bufferBytes) {
      this.drop(503, 'receive buffer full');
      res.setHeader('Retry-After', '1');
      return refuse(503, 'receive buffer full; retry later');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let held = 0;
    let done = false;
    const release = (): void => { this.inFlight -= held; held = 0; };
    const finish = (status: number, message: string, headers: Record<string, string> = {}): void => {
      if (done) return;
      done = true;
      release();
      chunks.length = 0;
      res.setHeader('Connection', 'close');
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      this.fail(res, status, message);
      req.resume();
    };
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        this.drop(413, `body over the ${max}-byte limit`);
        return finish(413, `body is over the limit of ${max} bytes (flowlens.otel.receiver.maxBodyMB)`);
      }
      if (this.inFlight + c.length > this.bufferBytes) {
        this.drop(503, 'receive buffer full');
        return finish(503, 'receive buffer full; retry later', { 'Retry-After': '1' });
      }
      this.inFlight += c.length;
      held += c.length;
      chunks.push(c);
    });
    req.on('error', () => { done = true; release(); });
    req.on('end', () => {
      if (done) return;
      done = true;
      const body = Buffer.concat(chunks);
      chunks.length = 0;
      this.accept(body, kind.gzip).then(
        r => { release(); this.send(res, 200, r); },
        (e: unknown) => {
          release();
          if (e instanceof HttpError) this.fail(res, e.status, e.message, e.status === 503 ? { 'Retry-After': '1' } : {});
          else this.fail(res, 500, `could not store the batch: ${e instanceof Error ? e.message : String(e)}`);
        });
    });
  }

  /** Decode, check and write one body; resolves with the OTLP response body. */
  private async accept(body: Buffer, gzip: boolean): Promise<object> {
    const max = this.opts.maxBodyBytes;
    let raw = body;
    // An inflated body shares the buffer too: it is reserved at its largest before gunzip (10 KB
    // bombs of 10 MB each, 200 at once, reached 2.3 GB — attacked, docs/security.md), then at its size.
    let reserved = 0;
    try {
      if (gzip) {
        if (this.inFlight + max > this.bufferBytes) {
          this.drop(503, 'receive buffer full');
          throw new HttpError(503, 'receive buffer full; retry later');
        }
        this.inFlight += max;
        reserved = max;
        raw = await this.gunzip(body, max);
        this.inFlight -= reserved - raw.length;
        reserved = raw.length;
      }
      return await this.parseAndWrite(raw);
    } finally {
      this.inFlight -= reserved;
    }
  }

  private gunzip(body: Buffer, max: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => zlib.gunzip(body, { maxOutputLength: max }, (err, out) => {
      if (!err) return resolve(out);
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        this.drop(413, `gunzipped body over the ${max}-byte limit`);
        reject(new HttpError(413, `uncompressed body is over the limit of ${max} bytes (flowlens.otel.receiver.maxBodyMB)`));
      } else reject(new HttpError(400, `body is not valid gzip: ${err.message}`));
    }));
  }

  /** Parse, check and write one (uncompressed) body. */
  private async parseAndWrite(raw: Buffer): Promise<object> {
    let batch: unknown;
    try {
      batch = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      throw new HttpError(400, `body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    const spans = countSpans(batch);
    if (spans === undefined) throw new HttpError(400, 'not an OTLP/JSON ExportTraceServiceRequest (no resourceSpans array)');
    if (spans === 0) return {};
    const line = JSON.stringify(batch) + '\n';
    return this.enqueue(line, spans);
  }

  /** Appends `line` after the writes before it. */
  private enqueue(line: string, spans: number): Promise<object> {
    const p = this.chain.then(() => this.write(line, spans));
    this.chain = p.then(() => undefined, () => undefined);
    return p;
  }

  private async write(line: string, spans: number): Promise<object> {
    const bytes = Buffer.byteLength(line);
    if (this.stored === undefined || this.stored + bytes > MAX_STORED_BYTES) this.stored = this.measure();
    if (this.stored + bytes > MAX_STORED_BYTES) {
      if (!this.fullNoted) { this.fullNoted = true; this.opts.onActivity?.({ kind: 'full', stored: this.stored }); }
      this.drop(200, 'received files full', spans);
      return { partialSuccess: { rejectedSpans: String(spans), errorMessage: `Flowlens stores at most ${MAX_STORED_BYTES / 1024 / 1024} MiB of received spans in ${RECEIVED_DIR}; delete old received-*.otlp.jsonl files` } };
    }
    this.fullNoted = false;
    const target = this.target(bytes, spans);
    const fd = await this.openAppend(target);
    try {
      const st = await fd.stat();
      if (!st.isFile()) throw new Error('not a regular file');
      await fd.write(line);
      if (this.file && this.file.name === target) {
        this.file.bytes = st.size + bytes;
        this.file.spans += spans;
      }
    } finally {
      await fd.close();
    }
    this.stored += bytes;
    this.stats.batches++;
    this.stats.spans += spans;
    this.stats.file = target;
    this.opts.onActivity?.({ kind: 'accepted', file: target, spans, bytes });
    return {};
  }

  /** The file this batch goes to: today's, or the next part when the current one is full. */
  private target(bytes: number, spans: number): string {
    const now = (this.opts.now ?? (() => new Date()))();
    const day = now.toISOString().slice(0, 10);
    let f = this.file;
    if (!f || f.day !== day) {
      // A new day (or the first batch): continue the day's last part when it has room.
      let part = 1;
      while (part < 10_000 && fs.existsSync(path.join(this.dir, receivedName(now, part + 1)))) part++;
      const name = path.join(this.dir, receivedName(now, part));
      const size = fileSize(name);
      f = this.file = { name, bytes: size, spans: 0, day, part };
    } else {
      f.bytes = Math.max(f.bytes, fileSize(f.name)); // deleted or truncated by the user: start again
      if (!fs.existsSync(f.name)) { f.bytes = 0; f.spans = 0; }
    }
    if (f.bytes > 0 && (f.bytes + bytes > MAX_FILE_BYTES || f.spans + spans > MAX_FILE_SPANS)) {
      const part = f.part + 1;
      f = this.file = { name: path.join(this.dir, receivedName(now, part)), bytes: 0, spans: 0, day, part };
      this.opts.onActivity?.({ kind: 'rotated', file: f.name });
    }
    return f.name;
  }

  /** Opens `file` for appending: its folder created inside the root (checked), never through a link. */
  private async openAppend(file: string): Promise<fs.promises.FileHandle> {
    if (!fs.existsSync(this.dir)) {
      // safeWriteFile creates the folders one by one, each checked to stay inside the root.
      const r = safeWriteFile(path.join(RECEIVED_DIR, '.gitignore'), '# Written by Flowlens: spans received live (flowlens.otel.receiver.enabled) stay out of git.\n*\n', { root: this.opts.root, owned: false, createRoot: false });
      if (!r.ok) throw new Error(r.message);
    }
    const rootReal = realRoot(this.opts.root);
    const dirReal = fs.realpathSync(this.dir);
    if (!isInside(rootReal, dirReal)) throw new Error(`${RECEIVED_DIR} resolves outside the workspace folder`);
    const flags = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);
    return fs.promises.open(path.join(dirReal, path.basename(file)), flags, 0o644);
  }

  /** Bytes of every received file now in the folder. */
  private measure(): number {
    let n = 0;
    try {
      for (const d of fs.readdirSync(this.dir, { withFileTypes: true })) if (d.isFile() && RECEIVED_NAME.test(d.name)) n += fileSize(path.join(this.dir, d.name));
    } catch {
      /* no folder yet */
    }
    return n;
  }
}

function fileSize(file: string): number {
  try {
    const st = fs.lstatSync(file);
    return st.isFile() ? st.size : 0;
  } catch {
    return 0;
  }
}
