// What RunStatusBar needs beyond vscodeExtras: the StatusBarAlignment enum. Import first (before
// any src module), like vscodeExtras.
import { vs } from './vscodeExtras';

if (!('StatusBarAlignment' in vs)) vs.StatusBarAlignment = { Left: 1, Right: 2 };

export { vs };
