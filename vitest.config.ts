import { defineConfig } from 'vitest/config';

// Two projects: `unit` is the fast edit-test loop (pure logic, no browser, no child
// processes that take seconds); `e2e` drives real Chromium, ffmpeg/x264 and werift.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['appliance/src/**/*.test.ts', 'web-ui/**/*.test.ts'],
          exclude: ['**/*.e2e.test.ts', '**/*.hw.test.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.test.ts', 'appliance/src/**/*.e2e.test.ts', 'web-ui/**/*.e2e.test.ts', 'hw-tests/**/*.e2e.test.ts', 'systemd/**/*.test.ts', 'udev/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Browser and encoder tests share two cores: run files one at a time.
          fileParallelism: false,
          // A real browser, encoder and network stack on a loaded 2-core machine can miss a
          // beat that says nothing about the product; one more attempt tells the two apart.
          // A test that needed it is not quiet about it: scripts/summarise-tests.mjs lists it
          // under "Flaky", with the first attempt's failure, at the end of every `npm test`.
          retry: 1,
        },
      },
    ],
  },
});
