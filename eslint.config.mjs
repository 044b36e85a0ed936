// Type-aware linting (STYLE.md): async hazards, exhaustive switches, and import boundaries between layers.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Import patterns every file obeys. Flat config replaces a rule's options in each block that sets the rule, so the
 * blocks below that add patterns of their own spread these in rather than restating (or losing) them;
 * scripts/check-lint-rules.mjs lints snippets that must fail, so a pattern that stops applying is caught.
 */
const LIB_ENTRY_PATTERNS = [
  {
    group: ['@lfs-depot/*/src/*', '@lfs-depot/*/dist/*'],
    message: 'Import libs through @lfs-depot/<lib> only.',
  },
  {
    group: ['**/libs/*/src/*', '**/libs/*/src'],
    message: 'Import libs through @lfs-depot/<lib> only.',
  },
];

/**
 * @nestjs/swagger is loaded only when the OpenAPI document is first asked for (bench/README.md, "Idle memory"):
 * the API's decorators come from its stand-ins, which the two files below replay onto the real ones.
 */
const SWAGGER_PATTERN = {
  group: ['@nestjs/swagger', '@nestjs/swagger/*'],
  message:
    'Take the Api* decorators from apps/api/src/http/openapi.decorator.ts (add one there if missing): @nestjs/swagger is loaded only for the OpenAPI document.',
};
const SWAGGER_LOADERS = [
  'apps/api/src/http/openapi.decorator.ts',
  'apps/api/src/http/openapi.decorator.spec.ts',
  'apps/api/src/http/openapi-docs.ts',
];

/** no-restricted-imports with the global patterns plus a block's own. */
function restrictedImports(...patterns) {
  return ['error', { patterns: [...LIB_ENTRY_PATTERNS, SWAGGER_PATTERN, ...patterns] }];
}

export default tseslint.config(
  {
    ignores: ['**/dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'bench/results/**', '.tmp/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/require-await': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: 'error',
      curly: 'error',
      'no-restricted-imports': restrictedImports(),
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictedImports({
        group: ['**/apps/**'],
        message: 'Libraries never import apps.',
      }),
    },
  },
  {
    files: ['apps/**/*.controller.ts'],
    rules: {
      'no-restricted-imports': restrictedImports({
        group: ['**/*.repository.js'],
        message: 'Controllers call services, not repositories.',
      }),
    },
  },
  {
    files: SWAGGER_LOADERS,
    rules: { 'no-restricted-imports': ['error', { patterns: LIB_ENTRY_PATTERNS }] },
  },
  {
    // Decorated classes need their constructor parameter types at runtime: type-only imports would erase them.
    files: ['apps/api/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', 'bin/*'],
    ...tseslint.configs.disableTypeChecked,
  },
);
