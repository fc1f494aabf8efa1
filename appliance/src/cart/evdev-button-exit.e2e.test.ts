/**
 * Regression: a process reading the button must be able to exit. With a stream-based
 * reader, a blocking read() parked on libuv's thread pool made process.exit() wait for the
 * next key press, so systemd had to SIGKILL the service on every stop.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('EvdevButton and process exit', () => {
  it('a process with a button open and no key pressed exits at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sonobox-button-exit-'));
    const fifo = join(dir, 'button');
    execFileSync('mkfifo', [fifo]);
    // Held open read-write so the button always has a writer and sees no end of file.
    const holder = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      const script = `
        import { EvdevButton } from ${JSON.stringify(new URL('./evdev-button.ts', import.meta.url).pathname)};
        const b = new EvdevButton({ path: ${JSON.stringify(fifo)} });
        b.start(() => {});
        setTimeout(() => process.exit(0), 300);
      `;
      const t0 = performance.now();
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'ignore' });
      const code = await new Promise<number | null>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.on('exit', (c) => {
          clearTimeout(kill);
          resolve(c);
        });
      });
      expect(code).toBe(0);
      expect(performance.now() - t0).toBeLessThan(10_000);
    } finally {
      closeSync(holder);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
