// ESLint flat config. The local `import-direction` rule enforces the layer import direction of
// docs/ARCHITECTURE.md §2.
import tseslint from 'typescript-eslint';
import { importDirection } from './scripts/eslint-import-direction.js';

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'bench-out/**', '.peers/**', 'docs/api/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { tsquic: { rules: { 'import-direction': importDirection } } },
    rules: {
      'tsquic/import-direction': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
