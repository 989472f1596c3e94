// Hostile workspaces for the ingress tests, generated at test time: FIFOs, sockets and symbolic
// links cannot be committed reliably (git on Windows, zips, npm pack), so each test builds its
// own under a fresh tmp folder. Every workspace also holds ordinary data (the demo-app's rolling
// trace and a small v1 run folder), so a test can check that the rest is still read.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const DEMO_ROLLING = path.resolve('test/fixtures/demo-app/.autodev/trace.jsonl');
/** The first run of the demo's rolling trace (always read when the rolling file is). */
export const DEMO_RUN = '20261118T140000Z-a1c3';
/** A small v1 run in `.autodev/runs/<GOOD_RUN>/`, ended by `session_end`. */
export const GOOD_RUN = '20300101T000000Z-good';
/** A v1 run that lives OUTSIDE the workspace and is reached only through a symlink. */
export const OUTSIDE_RUN = '20300101T000000Z-out';

export const BIG = 100 * 1024 * 1024;

export function tmpDir(tag: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `flowlens-ingress-${tag}-`)));
}

export function mkfifo(p: string): void {
  execFileSync('mkfifo', [p]);
}

/** A Unix socket file left on disk (python binds it and exits; the file stays). */
export function mksocket(p: string): boolean {
  try {
    execFileSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', p]);
    return fs.lstatSync(p).isSocket();
  } catch {
    return false;
  }
}

/** A sparse file of `size` bytes (no disk used): `truncate` past the end. */
export function sparse(p: string, size = BIG): void {
  fs.writeFileSync(p, 'flows:\n');
  fs.truncateSync(p, size);
}

/** Lines of a v1 run with a start, one failing flow and a session_end. */
export function v1Run(runId: string, failFile = 'app/main.py'): string {
  const ts = (s: number): string => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();
  const lines = [
    { v: 1, event_type: 'session_start', run_id: runId, timestamp: ts(0), app: 'app' },
    { v: 1, event_type: 'flow_start', run_id: runId, timestamp: ts(1), flow: 'a/b', flow_id: 'f-1', file: 'app/main.py', line: 3 },
    { v: 1, event_type: 'failure', run_id: runId, timestamp: ts(2), flow: 'a/b', flow_id: 'f-1', failure_class: 'DATA.EMPTY', severity: 'error', file: failFile, line: 1, reason: 'boom' },
    { v: 1, event_type: 'session_end', run_id: runId, timestamp: ts(3), status: 'failed' },
  ];
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

export type Variant = 'fifo' | 'zero' | 'big' | 'outside' | 'socket';

export interface Hostile {
  root: string;
  /** The folder outside the workspace the links lead to (`outside` variant). */
  outside?: string;
  /** Files (absolute) that are hostile and must not be read. */
  hostile: string[];
}

/**
 * A workspace whose `.autodev/ra.yaml` and `.autodev/flows.yaml` are hostile in the way named,
 * plus a hostile `trace.jsonl` in a run folder, next to readable data:
 * - `.autodev/trace.jsonl`: the demo-app rolling trace (5 runs);
 * - `.autodev/runs/<GOOD_RUN>/trace.jsonl`: a small ended v1 run.
 */
export function hostileWorkspace(variant: Variant): Hostile {
  const root = tmpDir(variant);
  const autodev = path.join(root, '.autodev');
  const bad = path.join(autodev, 'runs', `20300101T000000Z-${variant}`);
  fs.mkdirSync(path.join(autodev, 'runs', GOOD_RUN), { recursive: true });
  fs.mkdirSync(bad, { recursive: true });
  fs.copyFileSync(DEMO_ROLLING, path.join(autodev, 'trace.jsonl'));
  fs.writeFileSync(path.join(autodev, 'runs', GOOD_RUN, 'trace.jsonl'), v1Run(GOOD_RUN));
  const ra = path.join(autodev, 'ra.yaml');
  const flows = path.join(autodev, 'flows.yaml');
  const trace = path.join(bad, 'trace.jsonl');
  const out: Hostile = { root, hostile: [ra, flows, trace] };
  switch (variant) {
    case 'fifo':
      mkfifo(ra);
      mkfifo(flows);
      mkfifo(trace);
      mkfifo(path.join(bad, 'summary.md'));
      break;
    case 'zero':
      fs.symlinkSync('/dev/zero', ra);
      fs.symlinkSync('/dev/zero', flows);
      fs.symlinkSync('/dev/zero', trace);
      break;
    case 'big':
      sparse(ra);
      sparse(flows);
      sparse(trace);
      break;
    case 'socket':
      if (!mksocket(ra) || !mksocket(flows) || !mksocket(trace)) throw new Error('python3 could not bind a Unix socket');
      break;
    case 'outside': {
      const o = tmpDir('outside');
      out.outside = o;
      fs.writeFileSync(path.join(o, 'ra.yaml'), 'redact_keys: [outside_marker]\n');
      fs.writeFileSync(path.join(o, 'flows.yaml'), 'flows:\n  - id: outside/flow\n');
      fs.mkdirSync(path.join(o, 'run'));
      fs.writeFileSync(path.join(o, 'run', 'trace.jsonl'), v1Run(OUTSIDE_RUN));
      fs.writeFileSync(path.join(o, 'trace.jsonl'), v1Run(`${OUTSIDE_RUN}-file`));
      fs.symlinkSync(path.join(o, 'ra.yaml'), ra);
      fs.symlinkSync(path.join(o, 'flows.yaml'), flows);
      fs.symlinkSync(path.join(o, 'trace.jsonl'), trace);
      // A run folder, and an ordinary folder of the generic walk, both leading outside.
      fs.symlinkSync(path.join(o, 'run'), path.join(autodev, 'runs', OUTSIDE_RUN));
      fs.mkdirSync(path.join(root, 'logs'));
      fs.symlinkSync(o, path.join(root, 'logs', 'runs'));
      fs.symlinkSync(o, path.join(root, 'elsewhere'));
      break;
    }
  }
  return out;
}

export function rmrf(p: string | undefined): void {
  if (p) fs.rmSync(p, { recursive: true, force: true });
}
