/**
 * Sends OTLP/JSON trace requests to a collector's `/v1/traces` in batches, with a timeout and one clear error: shared by `flowlens export --format otlp --endpoint` and the editor's *Export Run as OpenTelemetry*.
 *
 * The endpoint is a base URL (`http://collector:4318` → `…/v1/traces`) or the full traces URL
 * (ending in `/v1/traces`, used as is), like the OTel SDKs' `OTEL_EXPORTER_OTLP_ENDPOINT` and
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`. Headers (a backend's API key) come from
 * `OTEL_EXPORTER_OTLP_TRACES_HEADERS` / `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`, values
 * URL-decoded), never from a command line or a setting, so a key does not land in shell history,
 * `ps` or a settings file. Uses the runtime's `fetch` (Node ≥ 18); no vscode, no CLI.
 */
import { stripControl } from './egress/redact';
import { chunkOtlp, otlpSpanCount, type OtlpTraceRequest } from './otlp';

/** Spans per request: a receiver bounds its body (the Collector's default is 4 MiB, Autotel's 10 MB). */
export const OTLP_BATCH_SPANS = 500;

/** Default time to wait for one request's answer. */
export const OTLP_TIMEOUT_MS = 10_000;

/** Bytes of a receiver's answer read (an OTLP response is a few bytes; an endless one cost 8 GB RSS — attacked, docs/security.md). */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** At most `max` bytes of a response body as text; the rest is never read (the stream is cancelled). */
async function boundedText(res: Response, max = MAX_ANSWER_BYTES): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let got = 0;
  try {
    while (got < max) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      got += value.byteLength;
    }
  } finally {
    if (got >= max) await reader.cancel().catch(() => undefined);
    else reader.releaseLock();
  }
  return Buffer.concat(parts).subarray(0, max).toString('utf8');
}

/** `text` with each of `secrets` (the URL's password, the Basic token, header values) replaced: a receiver may echo them. */
function withoutSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((x, y) => y.length - x.length)) if (s.length >= 4) out = out.split(s).join('[REDACTED]');
  return out;
}

/** A failure to send: `usage` when the endpoint itself is wrong (the CLI exits 2), else the send failed. */
export class OtlpSendError extends Error {
  constructor(message: string, readonly usage = false) {
    super(message);
    this.name = 'OtlpSendError';
  }
}

/** One line of untrusted text (a receiver's answer), control characters shown escaped, cut to `max`. */
function inert(s: string, max = 200): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => (ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : ch === '\t' ? '\\t' : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`))
    .replace(/[\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    .slice(0, max);
}

/**
 * The traces URL of an endpoint; an {@link OtlpSendError} (`usage`) when it is not an http(s) URL.
 * `what` names where the endpoint came from in the message (`--endpoint`, `flowlens.otel.endpoint`).
 */
export function tracesUrl(endpoint: string, what = '--endpoint'): URL {
  let u: URL;
  try {
    u = new URL(endpoint.trim());
  } catch {
    throw new OtlpSendError(`${what} must be an http(s) URL (e.g. http://127.0.0.1:4318), got '${inert(endpoint)}'`, true);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new OtlpSendError(`${what} must be an http(s) URL, got '${inert(u.protocol)}'`, true);
  if (!/\/v1\/traces\/?$/.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/+$/, '')}/v1/traces`;
  return u;
}

/** A URL for messages: no user name or password, no query or fragment (either may hold a key). */
export function shownUrl(u: URL): string {
  return stripControl(`${u.protocol}//${u.host}${u.pathname}`);
}

/** `k=v,k2=v2` (the OTel SDK environment variable format) as headers; malformed pairs are skipped. */
export function otlpHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const raw of [env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS]) {
    if (!raw) continue;
    for (const pair of raw.split(',')) {
      const i = pair.indexOf('=');
      if (i <= 0) continue;
      const k = pair.slice(0, i).trim().toLowerCase();
      let v = pair.slice(i + 1).trim();
      try {
        v = decodeURIComponent(v);
      } catch {
        /* kept as written */
      }
      if (/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(k) && !/[\r\n]/.test(v)) out[k] = v;
    }
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export interface SendResult {
  status: number;
  /** `partialSuccess.rejectedSpans` of the response, when the receiver reported any. */
  rejected: number;
  /** `partialSuccess.errorMessage`, when present (escaped, one line). */
  message?: string;
}

/**
 * POST one OTLP/JSON body to `url`; resolves with the HTTP status and any partial success the
 * receiver reported. Throws {@link OtlpSendError} on a connection error, a timeout or a non-2xx
 * answer, naming the URL (without credentials) and the first line of the answer.
 */
export async function postOtlp(url: URL, body: string, opts: { timeoutMs: number; headers?: Record<string, string> }): Promise<SendResult> {
  const where = shownUrl(url);
  // Credentials in the URL (`https://user:key@host`) go as Basic authorization, as curl sends them;
  // fetch refuses such a URL, and its error would quote the key.
  const target = new URL(url.href);
  const headers: Record<string, string> = { ...(opts.headers ?? {}), 'content-type': 'application/json' };
  const secrets = Object.values(opts.headers ?? {}).flatMap((v) => [v, ...v.split(/\s+/)]);
  for (const [, v] of target.searchParams) secrets.push(v);
  if (target.username || target.password) {
    const user = safeDecode(target.username);
    const pass = safeDecode(target.password);
    const basic = Buffer.from(`${user}:${pass}`, 'utf8').toString('base64');
    secrets.push(pass, target.password, basic);
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) headers.authorization = `Basic ${basic}`;
    target.username = '';
    target.password = '';
  }
  let res: Response;
  try {
    res = await fetch(target, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(opts.timeoutMs),
      redirect: 'error',
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new OtlpSendError(`no answer from ${where} within ${opts.timeoutMs / 1000} s (OTLP/HTTP export timed out)`);
    const why = String(err.cause?.code ?? err.cause?.message ?? err.message).split(url.href).join(where).split(target.href).join(where);
    throw new OtlpSendError(`cannot send to ${where}: ${inert(why)}`);
  }
  let text = '';
  try {
    text = withoutSecrets(await boundedText(res), secrets);
  } catch {
    /* the status says enough */
  }
  if (!res.ok) {
    const first = inert(text.split('\n').find((l) => l.trim()) ?? '');
    throw new OtlpSendError(`${where} answered HTTP ${res.status}${res.statusText ? ` ${inert(withoutSecrets(res.statusText, secrets))}` : ''}${first ? `: ${first}` : ''}`);
  }
  const out: SendResult = { status: res.status, rejected: 0 };
  try {
    const j = JSON.parse(text) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } };
    const ps = j?.partialSuccess;
    if (ps) {
      out.rejected = Number(ps.rejectedSpans ?? 0) || 0;
      if (ps.errorMessage) out.message = inert(String(ps.errorMessage));
    }
  } catch {
    /* an empty or non-JSON 2xx answer is a success */
  }
  return out;
}

/** What {@link sendOtlp} did. */
export interface SendSummary {
  /** Spans in the request. */
  spans: number;
  /** Spans the receiver rejected (partial success). */
  rejected: number;
  /** HTTP requests made (batches of {@link OTLP_BATCH_SPANS}). */
  requests: number;
  /** The last HTTP status. */
  status: number;
  /** `partialSuccess.errorMessage`s, escaped. */
  messages: string[];
  /** The traces URL without credentials, for messages. */
  shown: string;
}

/**
 * A whole request POSTed to `url` in batches of at most `batchSpans` spans (each span with its
 * resource and scope). Throws {@link OtlpSendError} on the first failed batch (the earlier
 * batches were sent: a backend deduplicating by span id takes a re-send).
 */
export async function sendOtlp(req: OtlpTraceRequest, url: URL, opts: { timeoutMs?: number; headers?: Record<string, string>; batchSpans?: number } = {}): Promise<SendSummary> {
  const batches = chunkOtlp(req, opts.batchSpans ?? OTLP_BATCH_SPANS);
  const out: SendSummary = { spans: otlpSpanCount(req), rejected: 0, requests: 0, status: 0, messages: [], shown: shownUrl(url) };
  for (const b of batches) {
    const r = await postOtlp(url, JSON.stringify(b), { timeoutMs: opts.timeoutMs ?? OTLP_TIMEOUT_MS, headers: opts.headers });
    out.requests++;
    out.status = r.status;
    out.rejected += r.rejected;
    if (r.message) out.messages.push(r.message);
  }
  return out;
}
