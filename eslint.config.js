import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import astro from 'eslint-plugin-astro';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', '.e2e-dist/', '.astro/', '.build/', 'node_modules/', 'screenshots/', 'bench-results/', 'tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...astro.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    // models/ runs in Node and in a Web Worker: no DOM.
    files: ['models/**/*.ts'],
    languageOptions: { globals: { ...globals.worker, ...globals.node } },
    rules: {
      'no-restricted-globals': ['error', 'document', 'window', 'localStorage', 'location', 'history'],
      // …and no Node built-ins outside models/node/, which the Lab imports only when it runs in Node.
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*'], message: 'Node-only code lives in models/node/.' }] },
      ],
    },
  },
  {
    files: ['models/node/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
