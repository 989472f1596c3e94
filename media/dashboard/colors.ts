/**
 * Colour choices by meaning (verdicts, event types, series) over a {@link Palette}. Pure: no DOM,
 * so Node tests load it; theme.ts reads the palette from the --vscode-* variables and re-exports these.
 */

export interface Palette {
  fg: string;
  muted: string;
  grid: string;
  green: string;
  red: string;
  orange: string;
  yellow: string;
  blue: string;
  purple: string;
  bg: string;
  selection: string;
  hover: string;
  font: string;
}

export const verdictColor = (palette: Palette, v: string): string =>
  v === 'succeeded' ? palette.green : v === 'failed' ? palette.red : v === 'exception' ? palette.orange : v === 'orphaned' ? palette.purple : palette.blue;
export const seriesColors = (palette: Palette): string[] => [palette.blue, palette.orange, palette.green, palette.purple, palette.yellow, palette.red, palette.fg, palette.muted];
/** The fixed colour of an event type with a meaning, else undefined. */
function semanticEventColor(palette: Palette, type: string): string | undefined {
  const t = type.toLowerCase();
  if (t === 'failure' || t === 'error' || t.endsWith('_failed')) return palette.red;
  if (t === 'exception' || t.endsWith('_exception')) return palette.orange;
  if (t === 'success' || t === 'succeeded') return palette.green;
  if (t === 'session_start' || t === 'session_end' || t === 'run_start' || t === 'run_end') return palette.muted;
  if (t === 'flow_start' || t === 'flow_end') return palette.fg;
  return undefined;
}

/**
 * The colours of the Events chart's types, in order. Types with a meaning keep it — `failure`
 * red, `exception` orange, `success` green, session and flow boundaries neutral — so a failure is
 * never green and `session_end` never red (issue 16); the other types take blue, purple, yellow
 * and grey in turn, never red, orange or green.
 */
export function eventTypeColors(palette: Palette, types: readonly string[]): string[] {
  const rest = [palette.blue, palette.purple, palette.yellow, palette.grid];
  let k = 0;
  return types.map((t) => semanticEventColor(palette, t) ?? rest[k++ % rest.length]);
}
