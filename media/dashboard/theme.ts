/**
 * Theme colours: read from the --vscode-* CSS variables at draw time (main.ts re-reads them when
 * VS Code switches theme), with the fallbacks used outside VS Code. Pure apart from reading CSS.
 */

import type { Palette } from './colors';

export { eventTypeColors, seriesColors, verdictColor, type Palette } from './colors';

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
