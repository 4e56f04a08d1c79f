// npm run lint: typescript-eslint's recommended rules, no import cycles, lines of at most 120 characters.
// prettier formats (npm run format); this file only catches what formatting cannot.
import js from '@eslint/js'
import stylistic from '@stylistic/eslint-plugin'
import {createTypeScriptImportResolver} from 'eslint-import-resolver-typescript'
import importX from 'eslint-plugin-import-x'
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
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
      },
    },
    plugins: {'@stylistic': stylistic, 'import-x': importX},
    settings: {
      'import-x/resolver-next': [
        createTypeScriptImportResolver({project: ['tsconfig.test.json', 'demo/tsconfig.json']}),
      ],
    },
    rules: {
      '@stylistic/max-len': ['error', {code: 120, tabWidth: 2}],
      'import-x/no-cycle': ['error', {ignoreExternal: true}],
    },
  },
)
