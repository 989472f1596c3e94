// Layering is enforced here, not by review (style.md habit 2): src/trace never imports
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
        paths: [{ name: 'vscode', message: 'src/trace and src/cli are pure: no vscode import (style.md habit 2).' }],
        patterns: [{ group: ['**/views/**', '../views/*', '../../views/*'], message: 'src/trace must not depend on src/views.' }],
      }],
    },
  },
  {
    files: ['media/**/*.ts'],
    rules: { 'no-restricted-properties': ['error',
      { object: 'element', property: 'innerHTML', message: 'Trace data is untrusted: build DOM nodes with textContent.' }] },
  },
);
