import { defineConfig } from 'vitest/config';

// `npm run test:pi-card`: builds the arm64 Raspberry Pi card and boots it as an emulated
// Pi 3 (20–60 minutes on two cores). Outside the root vitest.config.ts projects on purpose:
// `npm test` and CI never run it.
export default defineConfig({
  test: {
    name: 'pi-card',
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/system/pi-card.emulated.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
  },
});
