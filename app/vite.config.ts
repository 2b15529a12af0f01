import { defineConfig } from 'vitest/config';

// `vite build` (mode production) is what users get: the test wallet is not in it (see
// scripts/check-dist.mjs). `vite build --mode e2e` builds dist-e2e/ for the browser
// tests, with the test wallet loadable when a test injects its key.
export default defineConfig(({ mode }) => ({
  base: './',
  build: {
    outDir: mode === 'e2e' ? 'dist-e2e' : 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 900,
  },
  server: {
    // The app imports the committed IDL from ../idl.
    fs: { allow: ['..'] },
  },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
}));
