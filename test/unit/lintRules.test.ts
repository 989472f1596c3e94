// The lint rules that are safety nets (eslint.config.mjs) catch what they promise: the HTML-sink
// rule matches any receiver, in the webview and in the host, and does not displace the issue-13
// rule on the same files. Linted as text with the real config; the typed rules are filtered out
// (no TypeScript project is needed for these syntactic ones).
import * as assert from 'assert';
import { createRequire } from 'module';
import * as path from 'path';

// Loaded at run time, not bundled into the test (eslint is a devDependency run from the repo).
const { ESLint } = createRequire(__filename)('eslint') as typeof import('eslint');
const ROOT = path.resolve(__dirname, '..', '..', '..');

async function ruleHits(filePath: string, code: string): Promise<{ rule: string; line: number }[]> {
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
    ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-properties' || ruleId === 'no-restricted-syntax',
  });
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
  return result.messages.map(m => ({ rule: m.ruleId ?? m.message, line: m.line }));
}

const HOSTILE = [
  'declare const row: { cells: { innerHTML: string; outerHTML: string; insertAdjacentHTML(p: string, t: string): void }[] };',
  'declare const text: string;',
  'row.cells[0].innerHTML = text;',                         // line 3: a receiver that is not `element`
  "row.cells[0]['outerHTML'] = text;",                       // line 4: computed access
  "row.cells[0].insertAdjacentHTML('beforeend', text);",     // line 5
  'const { innerHTML } = row.cells[0];',                     // line 6: destructuring
  'export const copy = innerHTML;',
].join('\n');

describe('lint safety nets (eslint.config.mjs)', function () {
  this.timeout(60000);

  for (const file of ['media/dashboard/probe.ts', 'src/host/dashboard/probe.ts', 'src/core/render/probe.ts']) {
    it(`forbids innerHTML / outerHTML / insertAdjacentHTML on any receiver in ${path.dirname(file)}`, async () => {
      const hits = await ruleHits(file, HOSTILE);
      assert.deepStrictEqual(hits.filter(h => h.rule === 'no-restricted-properties').map(h => h.line), [3, 4, 5, 6]);
    });
  }

  it('keeps the issue-13 rule (a data-keyed record must not be {}) next to it in src', async () => {
    const hits = await ruleHits('src/core/render/probe.ts', 'export const byRun: Record<string, number> = {};\n');
    assert.deepStrictEqual(hits, [{ rule: 'no-restricted-syntax', line: 1 }]);
  });
});
