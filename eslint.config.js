// npm run lint: typescript-eslint's recommended rules, no import cycles, lines of at most 120 characters.
// prettier formats (npm run format); this file only catches what formatting cannot.
import js from '@eslint/js'
import stylistic from '@stylistic/eslint-plugin'
import {createTypeScriptImportResolver} from 'eslint-import-resolver-typescript'
import importX from 'eslint-plugin-import-x'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/build/**',
      'node_modules/**',
      'coverage/**',
      'test-artifacts/**',
      'test-results/**',
      '.gate/**',
      'schemas/*.cjs',
      'demo/kernel/**',
      // AssemblyScript, not TypeScript: checked by its own compiler
      'test/fixtures/wasm/assembly/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {globals: globals.node},
    plugins: {'@stylistic': stylistic, 'import-x': importX},
    settings: {
      // import-x reads each imported file to follow cycles: it needs to know .ts files and how to parse them.
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          noWarnOnMultipleProjects: true,
          project: ['tsconfig.test.json', 'demo/tsconfig.json'],
        }),
      ],
    },
    rules: {
      '@stylistic/max-len': ['error', {code: 120, tabWidth: 2}],
      'import-x/no-cycle': ['error', {ignoreExternal: true}],
      // Omitting keys by destructuring (`{secret, ...rest}`) and `_unused` parameters are deliberate.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_'},
      ],
      // Escaping and stripping control characters is this project's job: its regexes name them on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/engine/probability.ts', 'test/unit/engine/probability.test.ts'],
    // Published coefficients and reference values keep the digits their sources print.
    rules: {'no-loss-of-precision': 'off'},
  },
  {
    files: ['test/**', 'bench/**'],
    // Tests read parsed JSON and poke at internals; a typed shape there would restate the code under test.
    rules: {'@typescript-eslint/no-explicit-any': 'off'},
  },
)
