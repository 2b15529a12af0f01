import { defineConfig } from 'vitest/config';

// Browser tests against a running network (scripts/e2e.mjs starts it and passes its
// URLs in IGNIS_E2E_NETWORK). One network, one demo wallet: files run one at a time.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 180_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
  },
});
