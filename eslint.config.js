import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'src/generated/**', 'node_modules/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain Node scripts (scripts/*.mjs) run outside TypeScript.
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name=/^(it|describe|test)$/][callee.property.name='only']",
          message: 'no focused tests',
        },
      ],
    },
  },
  {
    // The doors: only src/grpc imports grpc-js, only src/docker imports dockerode (docs/architecture.md).
    files: ['src/**/*.ts'],
    // main.ts wires the concrete door in; nothing else names it.
    ignores: ['src/grpc/**', 'src/docker/**', 'src/main.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@grpc/grpc-js', allowTypeImports: true },
            { name: '@grpc/proto-loader', allowTypeImports: true },
            'dockerode',
          ],
          patterns: ['**/docker/dockerode-*'],
        },
      ],
    },
  },
);
