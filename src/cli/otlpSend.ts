/**
 * Sends OTLP/JSON trace requests to a collector's `/v1/traces` (`flowlens export --format otlp --endpoint URL`), with a timeout and one clear error.
 *
 * The endpoint is a base URL (`http://collector:4318` → `…/v1/traces`) or the full traces URL
 * (ending in `/v1/traces`, used as is), like the OTel SDKs' `OTEL_EXPORTER_OTLP_ENDPOINT` and
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`. Headers (a backend's API key) come from
 * `OTEL_EXPORTER_OTLP_TRACES_HEADERS` / `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`, values
 * URL-decoded), never from the command line, so a key does not land in shell history or `ps`.
 */
import { CliError } from './errors';
import { esc } from './output';

/** The traces URL of an endpoint; a usage error (exit 2) when it is not an http(s) URL. */
export function tracesUrl(endpoint: string): URL {
  let u: URL;
  try {
    u = new URL(endpoint.trim());
  } catch {
    throw new CliError(`--endpoint must be an http(s) URL (e.g. http://127.0.0.1:4318), got '${endpoint}'`, 2);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`--endpoint must be an http(s) URL, got '${u.protocol}'`, 2);
  if (!/\/v1\/traces\/?$/.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/+$/, '')}/v1/traces`;
  return u;
}

/** A URL for messages: no user name or password, no query (either may hold a key). */
export function shownUrl(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
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

export interface SendResult {
  status: number;
  /** `partialSuccess.rejectedSpans` of the response, when the receiver reported any. */
  rejected: number;
  /** `partialSuccess.errorMessage`, when present. */
  message?: string;
}

/**
 * POST one OTLP/JSON body to `url`; resolves with the HTTP status and any partial success the
 * receiver reported. Throws {@link CliError} (exit 1) on a connection error, a timeout or a non-2xx
 * answer, naming the URL (without credentials) and the first line of the answer.
 */
export async function postOtlp(url: URL, body: string, opts: { timeoutMs: number; headers?: Record<string, string> }): Promise<SendResult> {
  const where = shownUrl(url);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { ...(opts.headers ?? {}), 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(opts.timeoutMs),
      redirect: 'error',
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new CliError(`no answer from ${where} within ${opts.timeoutMs / 1000} s (OTLP/HTTP export timed out)`);
    const why = err.cause?.code ?? err.cause?.message ?? err.message;
    throw new CliError(`cannot send to ${where}: ${why}`);
  }
  let text = '';
  try {
    text = await res.text();
  } catch {
    /* the status says enough */
  }
  if (!res.ok) {
    const first = esc(text.split('\n').find((l) => l.trim()) ?? '').slice(0, 200);
    throw new CliError(`${where} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${first ? `: ${first}` : ''}`);
  }
  const out: SendResult = { status: res.status, rejected: 0 };
  try {
    const j = JSON.parse(text) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } };
    const ps = j?.partialSuccess;
    if (ps) {
      out.rejected = Number(ps.rejectedSpans ?? 0) || 0;
      if (ps.errorMessage) out.message = esc(ps.errorMessage).slice(0, 200);
    }
  } catch {
    /* an empty or non-JSON 2xx answer is a success */
  }
  return out;
}
