import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/*
 * `npm run dev` proxies the API to a running local store (`make run`), so the UI can be
 * developed against real data with hot reload; ALLSTORE_API_PROXY points it elsewhere.
 */
const apiProxyTarget = process.env.ALLSTORE_API_PROXY ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: {
      // The package's `browser` field names this entry (without `.js`, which Vite does not match):
      // the browser-safe providers only, not the Node ones that read files and spawn processes.
      '@aws-sdk/credential-providers': '@aws-sdk/credential-providers/dist-es/index.browser.js',
    },
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/Prod': apiProxyTarget, '/images': apiProxyTarget },
  },
  preview: { host: '127.0.0.1' },
  // The click events' worker (src/events/clickEvents.worker.ts) is an ES module worker, so the
  // AWS SDK's own dynamic import (its Cognito client) is a chunk the worker loads when it needs it.
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    sourcemap: true,
    modulePreload: {
      // The page's own chunks are preloaded from index.html; the AWS SDK's in the page (the only
      // dynamic import: where there is no worker, loaded when the page is idle) load through their
      // imports instead: adding a <link rel=modulepreload> per SDK chunk to the head was a long
      // task of its own.
      resolveDependencies: (_filename, deps, { hostType }) => (hostType === 'html' ? deps : []),
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
