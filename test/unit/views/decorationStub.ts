// What the decoration tests need at the top level of the `vscode` stub (OverviewRulerLane):
// import right after ./vscodeExtras and before any src module (a src module's `import * as vscode`
// copies the stub's top-level keys when it is evaluated; nested objects such as `window` stay shared).
import { vs } from './vscodeExtras';

vs.OverviewRulerLane = { Left: 1, Center: 2, Right: 4, Full: 7 };
