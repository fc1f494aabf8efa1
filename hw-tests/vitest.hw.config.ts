import { defineConfig } from 'vitest/config';

// The hw-tests run against real (or emulated: hw-tests/emulated/run.sh) V4L2 devices.
// They are deliberately outside the root vitest.config.ts projects, so `npm test` never
// runs them; `npm run test:hw` (on a board) and `npm run test:hw-emulated` (in QEMU) do.
export default defineConfig({
  test: {
    name: 'hw',
    root: new URL('..', import.meta.url).pathname,
    include: ['hw-tests/**/*.hw.test.ts'],
    // Devices are shared state (one vivid, one vicodec): one file at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
  },
});
