/**
 * Which AI hand-off files one *Generate Ask Prompt* writes, and the one sentence that says
 * exactly what was written where (issue 16 "Surprises"). Pure: names and paths in, text out.
 */
import * as path from 'node:path';

/** What the hand-off writes into each output folder. */
export interface AskFileOptions {
  /** A flow-focused prompt (`ask-<flow>.md`); `flowFile` is its file-name-safe form. */
  flowFile?: string;
  /** Setting `flowlens.ask.writeOnlyAskMd`: ask.md only, no summary.md or copilot_init.md. */
  onlyAsk?: boolean;
}

/** The file names written into each output folder, ask file first. */
export function askFileNames(opts: AskFileOptions = {}): string[] {
  const ask = opts.flowFile ? `ask-${opts.flowFile}.md` : 'ask.md';
  return opts.onlyAsk ? [ask] : [ask, 'summary.md', 'copilot_init.md'];
}

/** `a`, `a and b`, `a, b and c`. */
function joinAnd(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * "wrote ask.md, summary.md and copilot_init.md to .autodev/ and ask.md to .autodev/runs/x/":
 * the written files grouped by folder (in first-written order), each folder relative to `root`
 * when inside it, with a trailing `/`. Paths are raw: a notification passes the result through
 * `forNotification`.
 */
export function describeWritten(files: readonly string[], root?: string): string {
  const byDir = new Map<string, string[]>();
  for (const f of files) {
    const dir = path.dirname(f);
    const names = byDir.get(dir) ?? [];
    names.push(path.basename(f));
    byDir.set(dir, names);
  }
  const show = (dir: string): string => {
    const rel = root ? path.relative(root, dir) : '';
    const inside = root !== undefined && rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    return `${(inside ? rel : dir).split(path.sep).join('/')}/`;
  };
  const parts: string[] = [];
  const groups = [...byDir];
  const sameNames = groups.length > 1 && groups.every(([, n]) => n.join('\0') === groups[0][1].join('\0'));
  if (sameNames) parts.push(`${joinAnd(groups[0][1])} to ${joinAnd(groups.map(([d]) => show(d)))}`);
  else for (const [dir, names] of groups) parts.push(`${joinAnd(names)} to ${show(dir)}`);
  return parts.length === 0 ? 'wrote nothing' : `wrote ${parts.join('; ')}`;
}
