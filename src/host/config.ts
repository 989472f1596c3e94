// The `flowlens.*` settings read once into a typed object; restricted settings read as their defaults in an untrusted workspace.
import * as vscode from 'vscode';
import type { GenericMapping } from '../core/read/sqlite/generic';
// Defaults defined once in the core (package.json `default`s must say the same).
import { DEFAULT_LIVE_WINDOW_MS } from '../core/model/build';
import { DEFAULT_MAX_RUN_FOLDERS } from '../core/read/discover';
import { disposeAll, toDisposable } from './lifecycle';

/** Mirrors `contributes.configuration` in package.json (docs/style.md habit 11). */
export interface FlowlensConfig {
  /** Extra globs (relative to each workspace folder) read as trace files. Restricted. */
  traceGlobs: string[];
  /** Extra SQLite stores (paths or globs). Restricted. */
  extraStores: string[];
  /** Trace path prefix → workspace path prefix. Restricted. */
  pathMappings: Record<string, string>;
  'diagnostics.enabled': boolean;
  'decorations.enabled': boolean;
  'codeLens.enabled': boolean;
  maxEventsPerSource: number;
  'sqlite.memoryCapMB': number;
  /** Generic SQLite mappings (table/columns shown like a trace). Restricted. */
  'sqlite.mappings': GenericMapping[];
  liveWindowMinutes: number;
  /** Run folders (`…/runs/<id>/`) read per workspace folder, newest first. Restricted. */
  maxRunFolders: number;
  /** Show events' evidence and data unredacted in tooltips (this machine only). Restricted. */
  'tooltips.showRawEvidence': boolean;
  /** Write only ask.md (no summary.md, no copilot_init.md) for Generate Ask Prompt / Ask Copilot. */
  'ask.writeOnlyAskMd': boolean;
  /** Flows as tests in the Testing view (src/host/testing/). A display toggle. */
  'testExplorer.enabled': boolean;
  /** Listen for OTLP/HTTP spans on loopback (src/host/otelReceiver/). Restricted: never in an untrusted workspace. */
  'otel.receiver.enabled': boolean;
  /** The receiver's port on 127.0.0.1 (0 = any free port). Restricted. */
  'otel.receiver.port': number;
  /** Largest request body the receiver accepts, in MB (compressed and uncompressed). Restricted. */
  'otel.receiver.maxBodyMB': number;
  /** OTLP/HTTP endpoint the editor's OTLP export sends to ('' = save a file only; src/host/otelExport/). Restricted: it sends trace data off the machine. */
  'otel.endpoint': string;
}

export const SECTION = 'flowlens';

/**
 * Settings that widen what is read or how much (paths, globs, mappings, caps and limits) or what
 * is revealed: in an untrusted workspace their workspace and folder values are ignored (package.json
 * `capabilities.untrustedWorkspaces.restrictedConfigurations` lists the same keys; a unit test
 * checks they agree).
 */
export const RESTRICTED: ReadonlyArray<keyof FlowlensConfig> = [
  'traceGlobs', 'extraStores', 'pathMappings', 'sqlite.mappings',
  'maxEventsPerSource', 'maxRunFolders', 'sqlite.memoryCapMB', 'liveWindowMinutes',
  'tooltips.showRawEvidence',
  'otel.receiver.enabled', 'otel.receiver.port', 'otel.receiver.maxBodyMB',
  'otel.endpoint',
];

/** Settings whose change requires re-reading the traces. */
export const RELOAD_KEYS: ReadonlyArray<keyof FlowlensConfig> = [
  'traceGlobs', 'extraStores', 'pathMappings', 'maxEventsPerSource', 'sqlite.memoryCapMB', 'sqlite.mappings', 'liveWindowMinutes', 'maxRunFolders',
];

const DEFAULTS: FlowlensConfig = {
  traceGlobs: [],
  extraStores: [],
  pathMappings: {},
  'diagnostics.enabled': true,
  'decorations.enabled': true,
  'codeLens.enabled': true,
  maxEventsPerSource: 200000,
  'sqlite.memoryCapMB': 512,
  'sqlite.mappings': [],
  liveWindowMinutes: DEFAULT_LIVE_WINDOW_MS / 60_000,
  maxRunFolders: DEFAULT_MAX_RUN_FOLDERS,
  'tooltips.showRawEvidence': false,
  'ask.writeOnlyAskMd': false,
  'testExplorer.enabled': true,
  'otel.receiver.enabled': false,
  'otel.receiver.port': 4318,
  'otel.receiver.maxBodyMB': 10,
  'otel.endpoint': '',
};

/** The defaults (package.json `default`s), for tests and callers that need one value. */
export const CONFIG_DEFAULTS: Readonly<FlowlensConfig> = DEFAULTS;

/**
 * Reads the settings for one folder (or the window), trust-aware: in an untrusted workspace every
 * {@link RESTRICTED} key has its default value, whatever the workspace's `.vscode/settings.json`,
 * a `.code-workspace` file or any other level says. VS Code drops workspace values of
 * `restrictedConfigurations` itself in recent versions; this does not rely on that (older hosts, a
 * key missing from package.json). A grant of trust reloads the traces (services.ts).
 */
export function readConfig(scope?: vscode.ConfigurationScope): FlowlensConfig {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const out = { ...DEFAULTS };
  const trusted = vscode.workspace.isTrusted === true;
  for (const key of Object.keys(DEFAULTS) as (keyof FlowlensConfig)[]) {
    if (!trusted && RESTRICTED.includes(key)) continue;
    const v = c.get(key);
    if (v !== undefined && typeof v === typeof DEFAULTS[key] && (typeof v !== 'number' || Number.isFinite(v))) (out as Record<string, unknown>)[key] = v;
  }
  if (!Array.isArray(out.traceGlobs)) out.traceGlobs = [];
  if (!Array.isArray(out.extraStores)) out.extraStores = [];
  out.traceGlobs = out.traceGlobs.filter((g) => typeof g === 'string');
  out.extraStores = out.extraStores.filter((g) => typeof g === 'string');
  // Keys are path prefixes (data): a null-prototype record with string values only.
  const maps: Record<string, string> = Object.create(null);
  const raw = out.pathMappings as unknown;
  if (raw && typeof raw === 'object' && !Array.isArray(raw))
    for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') maps[k] = v;
  out.pathMappings = maps;
  out['sqlite.mappings'] = Array.isArray(out['sqlite.mappings']) ? out['sqlite.mappings'].filter(isMapping) : [];
  return out;
}

/**
 * Calls `fn` when one of `keys` changes or the workspace becomes trusted (restricted keys then
 * take their workspace values). A host without these events (a test stub) just never calls it.
 */
export function onSettingsChange(keys: ReadonlyArray<keyof FlowlensConfig>, fn: () => void): vscode.Disposable {
  const subs: vscode.Disposable[] = [];
  const ws = vscode.workspace as Partial<typeof vscode.workspace>;
  if (typeof ws.onDidChangeConfiguration === 'function') subs.push(ws.onDidChangeConfiguration((e) => { if (affects(e, keys)) fn(); }));
  if (typeof ws.onDidGrantWorkspaceTrust === 'function') subs.push(ws.onDidGrantWorkspaceTrust(fn));
  return toDisposable(() => disposeAll(subs));
}

/** True when the change touches one of `keys` under `flowlens.`. */
export function affects(e: vscode.ConfigurationChangeEvent, keys: ReadonlyArray<keyof FlowlensConfig>): boolean {
  return keys.some(k => e.affectsConfiguration(`${SECTION}.${k}`));
}

/** A generic mapping names at least its table, timestamp and type columns (all strings). */
function isMapping(v: unknown): v is GenericMapping {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return ['table', 'timestamp', 'type'].every((k) => typeof o[k] === 'string' && (o[k] as string).length > 0);
}
