/**
 * Theme colours: read from the --vscode-* CSS variables at draw time (main.ts re-reads them when
 * VS Code switches theme), with the fallbacks used outside VS Code. Pure apart from reading CSS.
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

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

export function readPalette(): Palette {
  return {
    fg: cssVar('--vscode-foreground', '#cccccc'),
    muted: cssVar('--vscode-descriptionForeground', '#999999'),
    grid: cssVar('--vscode-editorWidget-border', cssVar('--vscode-panel-border', '#444444')),
    green: cssVar('--vscode-charts-green', '#89d185'),
    red: cssVar('--vscode-charts-red', '#f14c4c'),
    orange: cssVar('--vscode-charts-orange', '#d18616'),
    yellow: cssVar('--vscode-charts-yellow', '#cca700'),
    blue: cssVar('--vscode-charts-blue', '#3794ff'),
    purple: cssVar('--vscode-charts-purple', '#b180d7'),
    bg: cssVar('--vscode-editor-background', '#1e1e1e'),
    selection: cssVar('--vscode-list-activeSelectionBackground', '#04395e'),
    hover: cssVar('--vscode-list-hoverBackground', '#2a2d2e'),
    font: cssVar('--vscode-font-family', 'sans-serif'),
  };
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
