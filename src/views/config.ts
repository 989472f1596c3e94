import * as vscode from 'vscode';
import type { GenericMapping } from '../trace/sqlite/generic';

/** Mirrors `contributes.configuration` in package.json (style.md habit 11). */
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
  /** Run folders (`…/runs/<id>/`) read per workspace folder, newest first. */
  maxRunFolders: number;
}

export const SECTION = 'flowlens';

/** Settings that name files to read: only honoured in a trusted workspace (package.json `capabilities`). */
export const RESTRICTED: ReadonlyArray<keyof FlowlensConfig> = ['traceGlobs', 'extraStores', 'pathMappings', 'sqlite.mappings'];

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
  liveWindowMinutes: 10,
  maxRunFolders: 5000,
};

/** Reads the settings for one folder (or the window); restricted keys fall back to defaults when untrusted. */
export function readConfig(scope?: vscode.ConfigurationScope): FlowlensConfig {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const out = { ...DEFAULTS };
  const trusted = vscode.workspace.isTrusted;
  for (const key of Object.keys(DEFAULTS) as (keyof FlowlensConfig)[]) {
    if (!trusted && RESTRICTED.includes(key)) continue;
    const v = c.get(key);
    if (v !== undefined && typeof v === typeof DEFAULTS[key]) (out as Record<string, unknown>)[key] = v;
  }
  if (!Array.isArray(out.traceGlobs)) out.traceGlobs = [];
  if (!Array.isArray(out.extraStores)) out.extraStores = [];
  out['sqlite.mappings'] = Array.isArray(out['sqlite.mappings']) ? out['sqlite.mappings'].filter(isMapping) : [];
  return out;
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
