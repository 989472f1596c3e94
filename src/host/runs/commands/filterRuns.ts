// `flowlens.filterRuns`: the Runs view's filter box and its `status:` / `tag:` parser.
import * as vscode from 'vscode';
import type { Verdict } from '../../../core/model/types';
import type { FlowTreeProvider, RunFilter } from '../runsView';

const STATUSES: Verdict[] = ['succeeded', 'failed', 'exception', 'orphaned', 'running'];

/**
 * `flowlens.filterRuns` — the filter box: free text plus `status:failed` / `tag:AAPL` tokens. A
 * programmatic caller may pass a RunFilter (tests) or the text directly.
 */
export async function filterRuns(provider: FlowTreeProvider, arg?: Partial<RunFilter> | string): Promise<void> {
  if (arg && typeof arg === 'object') {
    provider.setFilter({ text: arg.text ?? '', statuses: arg.statuses ?? [], tag: arg.tag ?? '' });
    return;
  }
  const cur = provider.currentFilter;
  const value = typeof arg === 'string' ? arg : await vscode.window.showInputBox({
    title: 'Filter flows',
    prompt: 'Text matches flow name, id, failure class, reason and correlation. Add status:failed|exception|orphaned|running|succeeded or tag:NAME.',
    placeHolder: 'e.g. DATA.EMPTY status:failed tag:NVDA',
    value: [cur.text, ...cur.statuses.map(s => `status:${s}`), cur.tag ? `tag:${cur.tag}` : ''].filter(Boolean).join(' '),
  });
  if (value === undefined) return;
  provider.setFilter(parseFilter(value));
}

/** "DATA.EMPTY status:fail,exc tag:NVDA" → `{text, statuses, tag}` (status prefixes allowed). */
export function parseFilter(value: string): RunFilter {
  const words: string[] = [];
  const statuses: Verdict[] = [];
  let tag = '';
  for (const w of value.split(/\s+/).filter(Boolean)) {
    const m = /^(status|tag):(.*)$/i.exec(w);
    if (m && m[1].toLowerCase() === 'status') {
      for (const s of m[2].split(',')) {
        const v = STATUSES.find(x => x.startsWith(s.toLowerCase()) && s);
        if (v) statuses.push(v);
      }
    } else if (m) tag = m[2];
    else words.push(w);
  }
  return { text: words.join(' '), statuses, tag };
}
