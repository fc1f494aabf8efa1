/**
 * The cart's sharing screen as QEMU itself shows it: an independent read-back.
 *
 * Runs on the HOST (not in the guest): boots hw-tests/emulated/run.sh --vga with a guest
 * program that renders the sharing screen to the guest's real /dev/fb0 (bochs) and waits;
 * the host then asks QEMU's monitor for a `screendump` (PPM of what the emulated VGA
 * scans out) and decodes the QR with jsqr. This proves geometry, stride and byte order
 * are right as seen by the display hardware, not just by our own read-back.
 *
 *   npx vitest run hw-tests/cart-screendump.e2e.test.ts   (part of npm test's e2e project)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import jsQRModule from 'jsqr';
import { describe, expect, it } from 'vitest';

type JsQR = typeof jsQRModule.default;
const jsQR = ((jsQRModule as unknown as { default?: JsQR }).default ?? jsQRModule) as JsQR;

const repo = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const link = 'http://192.168.100.200:8080/v#t=screendump-test-token-0123456789abcdefghijk';
const inGuest = existsSync('/run/hw-out/cmd.sh');
const haveQemu = existsSync('/usr/bin/qemu-system-x86_64');

/** Parses a binary PPM (P6, maxval 255) into RGBA. */
function parsePpm(b: Buffer): { width: number; height: number; data: Uint8ClampedArray } {
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(b.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a P6 PPM with maxval 255');
  const width = Number(header[1]), height = Number(header[2]);
  const rgb = b.subarray(header[0].length);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    data[i * 4] = rgb[j]!; data[i * 4 + 1] = rgb[j + 1]!; data[i * 4 + 2] = rgb[j + 2]!; data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}

function monitorCommand(sock: string, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(sock);
    let seen = '';
    s.on('error', reject);
    s.on('data', (d) => {
      seen += d.toString();
      // The monitor greets with a "(qemu) " prompt, and prompts again when the command is done.
      if ((seen.match(/\(qemu\)/g) ?? []).length === 1 && !seen.includes(command)) s.write(command + '\n');
      if ((seen.match(/\(qemu\)/g) ?? []).length >= 2) { s.end(); resolve(); }
    });
  });
}

const guestProgram = `
import { existsSync, writeFileSync } from 'node:fs';
import { openFramebufferDisplay } from '${repo}/appliance/src/cart/framebuffer-display.ts';
import { renderScreen } from '${repo}/appliance/src/cart/screens.ts';
const d = openFramebufferDisplay('/dev/fb0');
d.show(renderScreen({ screen: 'sharing', link: ${JSON.stringify(link)}, code: 'K7P-4QX', linkNumber: 1, maxViewers: 1 }, d.geometry, 'en'));
writeFileSync('/run/hw-out/ready', JSON.stringify(d.geometry));
for (let i = 0; i < 1200 && !existsSync('/run/hw-out/done'); i++) await new Promise((r) => setTimeout(r, 100));
d.close();
`;

describe.skipIf(inGuest || !haveQemu)('screendump of the guest framebuffer (host side)', () => {
  it('QEMU scans out the sharing screen and its QR decodes to the link', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sonobox-screendump-'));
    const sock = join(out, 'monitor.sock');
    writeFileSync(join(out, 'guest.mts'), guestProgram);
    const run = spawn('bash', [join(repo, 'hw-tests/emulated/run.sh'), '--vga', '--monitor', sock, '--out', out, '--timeout', '600', '--',
      join(repo, 'node_modules/.bin/tsx'), '/run/hw-out/guest.mts'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    run.stdout.on('data', (d: Buffer) => { log += d.toString(); });
    run.stderr.on('data', (d: Buffer) => { log += d.toString(); });
    const exited = new Promise<number | null>((resolve) => run.on('exit', resolve));
    try {
      for (let i = 0; i < 5400 && !existsSync(join(out, 'ready')) && run.exitCode === null; i++) await sleep(100);
      expect(existsSync(join(out, 'ready')), `guest never drew the screen:\n${log.slice(-2000)}`).toBe(true);
      expect(JSON.parse(readFileSync(join(out, 'ready'), 'utf8'))).toEqual({ width: 1280, height: 800, stride: 5120, format: 'xrgb8888' });
      const ppm = join(out, 'screen.ppm');
      await monitorCommand(sock, `screendump ${ppm}`);
      for (let i = 0; i < 100 && !(existsSync(ppm) && statSync(ppm).size >= 1280 * 800 * 3); i++) await sleep(50);
      const img = parsePpm(readFileSync(ppm));
      expect([img.width, img.height]).toEqual([1280, 800]);
      expect(jsQR(img.data, img.width, img.height)?.data).toBe(link);
      writeFileSync(join(out, 'done'), '');
      expect(await exited).toBe(0);
    } finally {
      writeFileSync(join(out, 'done'), '');
      if (run.exitCode === null) run.kill('SIGTERM');
      rmSync(out, { recursive: true, force: true });
    }
  }, 700_000);
});
if (inGuest) it.skip('skipped: the screendump test drives QEMU from the host; it does not run inside the guest', () => {});
if (!inGuest && !haveQemu) it.skip('skipped: qemu-system-x86_64 is not installed', () => {});
