// Flat config: typescript-eslint's recommended rules on the sources, tests and benchmarks,
// plus the boundaries between the rooms of src/ (README: Development → Layout).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Outside src/engine/, the engine is reached through its front door only. */
const ENGINE_FRONT_DOOR = {
  group: ['**/engine/**', '!**/engine/index.js'],
  message: 'Import the engine through src/engine/index.ts (its only public module).',
};
const NO_SLACK = {
  group: ['**/slack/**', '@slack/*'],
  message: 'This room knows no Slack: the Slack side implements its interfaces (e.g. jobs/diagnosis-report.ts) and bot.ts wires them.',
};
const NO_BOT_ROOMS = {
  group: ['**/jobs/**', '**/stores/**', '**/components/**', '**/monitor/**', '**/cli/**', '**/config/**', '**/http/**', 'bullmq', 'ioredis'],
  message: 'The engine is pure diagnosis: no queues, stores, Slack, CLI or config (callers hand it resolved targets and options).',
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/engine/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ENGINE_FRONT_DOOR] }] },
  },
  {
    files: ['src/jobs/**/*.ts', 'src/stores/**/*.ts', 'src/monitor/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ENGINE_FRONT_DOOR, NO_SLACK] }] },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_SLACK, NO_BOT_ROOMS] }] },
  },
);
