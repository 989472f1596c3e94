/**
 * The words of a run note (src/core/model/types.ts `RunNote`): the one place every surface — the
 * Runs view tooltip and cap item, ask.md and summary.md, the CLI — gets them from. Plain text;
 * each surface escapes it with its own egress function.
 */
import { CAP_SETTING } from '../model/build';
import type { Run, RunCap, RunNote } from '../model/types';

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function lines(n: number): string {
  return `${n} line${n === 1 ? '' : 's'}`;
}

/** The note for a {@link RunCap} (`summarised: …` / `capped: …`). */
export function capText(c: RunCap): string {
  const setting = `${CAP_SETTING} = ${fmt(c.limit)}`;
  return c.mode === 'summarised'
    ? `summarised: ${fmt(c.notKept)} event${c.notKept === 1 ? '' : 's'} not kept in memory (${setting}); flows, verdicts and counts are kept — open the trace file for the events`
    : `capped: the first ${fmt(c.kept)} of ${fmt(c.total)} events are kept in memory, ${fmt(c.notKept)} not (${setting}); flows keep their verdicts and counts cover every event — open the trace file for the rest`;
}

/** One run note in words. */
export function runNoteText(n: RunNote): string {
  switch (n.kind) {
    case 'also-in':
      return `also in ${n.file} (${lines(n.lines)}); showing ${n.shown}`;
    case 'flow-names':
      if (!n.summary) return 'flow names: no summary.md (the run crashed or is still running); flows shown by short id';
      return n.named === n.total
        ? `flow names: recovered from summary.md (${n.named} of ${n.total})`
        : `flow names: recovered from summary.md for ${n.named} of ${n.total}; ${n.total - n.named} not found there, shown by short id`;
    case 'summary-unreadable':
      return `summary.md ${n.reason}`;
    case 'timestamp':
      return `${n.problem}: ${lines(n.lines)} kept without a time (first: ${n.first.file}:${n.first.line})`;
    case 'session-status':
      return `session_end status ${JSON.stringify(n.raw ?? null)} not recognised; shown as ${n.shownAs}`;
    case 'cap':
      return capText(n.cap);
  }
}

/**
 * A run's notes in words, in the order surfaces list them: the cap note first when the run is
 * capped or summarised (it explains why events are missing), then as written.
 */
export function runNotesText(run: Pick<Run, 'notes'>): string[] {
  const notes = [...run.notes].sort((a, b) => (a.kind === 'cap' ? 0 : 1) - (b.kind === 'cap' ? 0 : 1));
  return notes.map(runNoteText);
}
