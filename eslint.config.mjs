// Layering is enforced here, not by review (docs/style.md habit 2): src/trace never imports
// vscode nor src/views; the CLI only talks to src/trace.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.ci/**', 'examples/**', 'test/fixtures/**', 'media/lib/**', '**/*.mjs', '**/*.js'] },
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
  {
    files: ['src/trace/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/trace and src/cli are pure: no vscode import (docs/style.md habit 2).' }],
        patterns: [{ group: ['**/views/**', '../views/*', '../../views/*'], message: 'src/trace must not depend on src/views.' }],
      }],
    },
  },
  {
    // Issue 13 class 4: a record keyed by trace data (run ids, flow names, classes, tags, metric
    // names, evidence keys) must not inherit from Object.prototype. Use a Map, or record() /
    // setOwn() / bump() from src/trace/bounded.ts. test/unit/totality/protoKeys.test.ts walks the
    // outputs with `__proto__`, `constructor`, `toString` as ids, classes and keys.
    files: ['src/trace/**/*.ts', 'src/cli/**/*.ts', 'src/views/**/*.ts'],
    ignores: ['src/trace/sqlite/**'],
    rules: { 'no-restricted-syntax': ['error',
      { selector: "VariableDeclarator[id.typeAnnotation.typeAnnotation.typeName.name='Record'][init.type='ObjectExpression'][init.properties.length=0]",
        message: 'A data-keyed record must be a Map or record() (src/trace/bounded.ts), not {} (issue 13: __proto__/constructor keys).' },
      { selector: "PropertyDefinition[typeAnnotation.typeAnnotation.typeName.name='Record'][value.type='ObjectExpression'][value.properties.length=0]",
        message: 'A data-keyed record must be a Map or record() (src/trace/bounded.ts), not {} (issue 13: __proto__/constructor keys).' },
      { selector: "TSAsExpression[expression.type='ObjectExpression'][expression.properties.length=0][typeAnnotation.typeName.name='Record']",
        message: 'A data-keyed record must be a Map or record() (src/trace/bounded.ts), not {} as Record (issue 13).' },
    ] },
  },
  {
    // Users never see the console of the extension host: write to the Flowlens log
    // (src/views/log.ts). Only the CLI prints.
    files: ['src/trace/**/*.ts', 'src/views/**/*.ts', 'src/extension.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['media/**/*.ts'],
    rules: { 'no-restricted-properties': ['error',
      { object: 'element', property: 'innerHTML', message: 'Trace data is untrusted: build DOM nodes with textContent.' }] },
  },
);
