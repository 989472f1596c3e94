/**
 * `flowlens export --format otlp --endpoint URL`: the shared sender (src/core/render/otlpSend.ts) with its errors as CLI errors (a bad endpoint exits 2, a failed send 1).
 */
import { CliError } from './errors';
import { OtlpSendError, otlpHeaders, sendOtlp as coreSend, shownUrl, tracesUrl as coreTracesUrl, type SendSummary } from '../core/render/otlpSend';
import type { OtlpTraceRequest } from '../core/render/otlp';

export { otlpHeaders, shownUrl };

/** A sender error as the CLI's one-line error; anything else rethrown. */
function asCli(e: unknown): never {
  if (e instanceof OtlpSendError) throw new CliError(e.message, e.usage ? 2 : 1);
  throw e;
}

/** The traces URL of `--endpoint`; a usage error (exit 2) when it is not an http(s) URL. */
export function tracesUrl(endpoint: string): URL {
  try {
    return coreTracesUrl(endpoint, '--endpoint');
  } catch (e) {
    return asCli(e);
  }
}

/** POST the request in batches (headers from the OTel environment variables); exit 1 on a failed send. */
export async function sendOtlp(req: OtlpTraceRequest, url: URL, timeoutMs: number | undefined): Promise<SendSummary> {
  try {
    return await coreSend(req, url, { timeoutMs, headers: otlpHeaders() });
  } catch (e) {
    return asCli(e);
  }
}
