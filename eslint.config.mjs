// Layering is enforced here, not by review (docs/style.md habit 2): src/core never imports
// vscode nor src/host; the CLI only talks to src/core.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.ci/**', 'examples/**', 'test/fixtures/**', 'media/lib/**', '**/*.mjs', '**/*.js', '!test/e2e/*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-eval': 'error',
      'no-new-func': 'error',
      'no-implied-eval': 'off',
      '@typescript-eslint/no-implied-eval': 'error',
    },
  },
  // Floors of the pure core (docs/architecture.md): model <- read <- analyze <- render; each
  // imports only its own floor and the ones below. No floor imports vscode, the host or the CLI.
  // test/unit/architecture.test.ts checks the same graph by resolving every import.
  ...[
    ['model', ['read', 'analyze', 'render']],
    ['read', ['analyze', 'render']],
    ['analyze', ['render']],
    ['render', []],
  ].map(([floor, above]) => ({
    files: [`src/core/${floor}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/core is pure: no vscode import (docs/style.md habit 2).' }],
        patterns: [
          { regex: '(^|/)(host|cli)(/|$)', message: 'src/core must not depend on src/host or src/cli.' },
          ...(above.length ? [{ regex: `(^|/)(${above.join('|')})(/|$)`, message: `src/core/${floor} imports only downward (model <- read <- analyze <- render).` }] : []),
        ],
      }],
    },
  })),
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The CLI is pure: no vscode import (docs/style.md habit 2).' }],
        patterns: [{ regex: '(^|/)host(/|$)', message: 'The CLI talks to src/core only.' }],
      }],
    },
  },
  {
    // Issue 13 class 4: a record keyed by trace data (run ids, flow names, classes, tags, metric
    // names, evidence keys) must not inherit from Object.prototype. Use a Map, or record() /
    // setOwn() / bump() from src/core/model/bounded.ts. test/unit/totality/protoKeys.test.ts walks the
    // outputs with `__proto__`, `constructor`, `toString` as ids, classes and keys.
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts', 'src/host/**/*.ts'],
    ignores: ['src/core/read/sqlite/**'],
    rules: { 'no-restricted-syntax': ['error',
      { selector: "VariableDeclarator[id.typeAnnotation.typeAnnotation.typeName.name='Record'][init.type='ObjectExpression'][init.properties.length=0]",
        message: 'A data-keyed record must be a Map or record() (src/core/model/bounded.ts), not {} (issue 13: __proto__/constructor keys).' },
      { selector: "PropertyDefinition[typeAnnotation.typeAnnotation.typeName.name='Record'][value.type='ObjectExpression'][value.properties.length=0]",
        message: 'A data-keyed record must be a Map or record() (src/core/model/bounded.ts), not {} (issue 13: __proto__/constructor keys).' },
      { selector: "TSAsExpression[expression.type='ObjectExpression'][expression.properties.length=0][typeAnnotation.typeName.name='Record']",
        message: 'A data-keyed record must be a Map or record() (src/core/model/bounded.ts), not {} as Record (issue 13).' },
    ] },
  },
  {
    // Users never see the console of the extension host: write to the Flowlens log
    // (src/host/log.ts). Only the CLI prints.
    files: ['src/core/**/*.ts', 'src/host/**/*.ts', 'src/extension.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Trace data is untrusted (docs/security.md): no string is ever parsed as HTML, whatever the
    // receiver — `el.innerHTML = …`, `row.cells[0]['outerHTML']`, `x.insertAdjacentHTML(…)`,
    // `{ innerHTML } = el`. no-restricted-properties without `object` matches any receiver; it is
    // used rather than no-restricted-syntax because a second no-restricted-syntax block for the
    // same files would replace the issue-13 selectors above, not add to them.
    files: ['media/**/*.ts', 'src/**/*.ts'],
    rules: { 'no-restricted-properties': ['error',
      ...['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'createContextualFragment'].map((property) => ({
        property, message: 'Trace data is untrusted: never parse a string as HTML; build DOM nodes and set textContent.' })),
      ...['write', 'writeln'].map((property) => ({
        object: 'document', property, message: 'Trace data is untrusted: never parse a string as HTML.' })),
    ] },
  },
  {
    // The e2e tests (test/e2e/*.js): plain CommonJS run by Node, type-checked by
    // test/e2e/tsconfig.json (checkJs), whose project also gives the typed rules here — a
    // Playwright call without `await` is a no-floating-promises error.
    files: ['test/e2e/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: Object.fromEntries(['require', 'module', 'exports', '__dirname', '__filename', 'process', 'console', 'Buffer',
        'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'fetch', 'URL', 'AbortController', 'performance'].map((g) => [g, 'readonly'])),
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-eval': 'error',
      'no-new-func': 'error',
    },
  },
);
