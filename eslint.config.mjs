// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'bench/.work/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The staff app (apps/portal/web, *.tsx) is type-checked with its own tsconfig (DOM, JSX), found by the project service.
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'all'],
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'typeorm', message: 'TypeORM stays inside libs/db; use Database and a *.repository.ts.' }],
          patterns: [{ group: ['../../libs/*', '../../../libs/*', '../../apps/*'], message: 'Import libraries through their @mft/* alias.' }],
        },
      ],
    },
  },
  {
    files: ['libs/**/*.ts'],
    ignores: ['libs/web/**', 'libs/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'typeorm', message: 'TypeORM stays inside libs/db; use Database and a *.repository.ts.' }],
          patterns: [
            { group: ['@mft/api', '@mft/portal', '@mft/sftp-ingress'], message: 'Libraries never import apps.' },
            { group: ['../../libs/*', '../../../libs/*'], message: 'Import libraries through their @mft/* alias.' },
          ],
        },
      ],
    },
  },
  {
    // apps/main.ts is the one place that puts apps together; the apps themselves share code only through libraries.
    files: ['apps/*/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'typeorm', message: 'TypeORM stays inside libs/db; use Database and a *.repository.ts.' }],
          patterns: [
            { group: ['@mft/api', '@mft/api/*', '@mft/portal', '@mft/portal/*', '@mft/sftp-ingress', '@mft/sftp-ingress/*', '../../api/*', '../../portal/*', '../../cli/*', '../../../api/*', '../../../portal/*', '../../../cli/*'], message: 'An app never imports another app: move what both need into a library.' },
            { group: ['../../libs/*', '../../../libs/*', '../../apps/*'], message: 'Import libraries through their @mft/* alias.' },
          ],
        },
      ],
    },
  },
  {
    // The staff app's own api/ folder is its client of /api/v1 (not the api app); it imports no server code at all.
    files: ['apps/portal/web/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@mft/*', '../../../../libs/*', '../../../../apps/*'], message: 'The staff app uses only /api/v1, never server code.' }] }],
    },
  },
  {
    files: ['libs/db/**/*.ts', '**/*.repository.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // node:test's describe/it return promises that the runner itself awaits.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
