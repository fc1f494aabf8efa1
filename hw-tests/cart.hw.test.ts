/**
 * The cart display and button against real kernel devices.
 *
 * Emulated (hw-tests/emulated/run.sh --vga): QEMU's standard VGA driven by bochs gives a
 * real /dev/fb0 (DRM fbdev emulation, 1280x800 XRGB8888, stride 5120): geometry comes from
 * the real sysfs, the sharing screen is written with one pwrite, read back from /dev/fb0
 * and its QR decoded with jsqr. uinput creates a real evdev device (through python3's
 * ioctl, as Node has none) whose presses must change what the framebuffer shows.
 * On a board: /dev/sonobox/display and uinput behave the same.
 * Without the device each case reports "skipped: …", never passed.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import jsQRModule from 'jsqr';
import { afterAll, describe, expect, it } from 'vitest';
import { CartController } from '../appliance/src/cart/cart-controller.js';
import type { CartSessions } from '../appliance/src/cart/cart-sessions.js';
import { EvdevButton } from '../appliance/src/cart/evdev-button.js';
import { openFramebufferDisplay } from '../appliance/src/cart/framebuffer-display.js';
import type { DisplayGeometry } from '../appliance/src/cart/framebuffer-format.js';
import { framebufferToCanvas } from '../appliance/src/cart/framebuffer-format.js';
import { renderScreen } from '../appliance/src/cart/screens.js';

type JsQR = typeof jsQRModule.default;
const jsQR = ((jsQRModule as unknown as { default?: JsQR }).default ?? jsQRModule) as JsQR;

const fbDevice = process.env.SONOBOX_HW_FB ?? '/dev/fb0';
const link = 'http://192.168.100.200:8080/v#t=hw-test-token-not-a-secret-0123456789abcdef';

function readFramebuffer(g: DisplayGeometry): Buffer {
  const fd = openSync(fbDevice, 'r');
  try {
    const b = Buffer.alloc(g.stride * g.height);
    let done = 0;
    while (done < b.length) {
      const n = readSync(fd, b, done, b.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return b;
  } finally {
    closeSync(fd);
  }
}

function decodeQr(g: DisplayGeometry): string | undefined {
  const c = framebufferToCanvas(readFramebuffer(g), g);
  return jsQR(new Uint8ClampedArray(c.data.buffer), c.width, c.height)?.data;
}

describe.skipIf(!existsSync(fbDevice))(`cart display on ${fbDevice}`, () => {
  it('reads geometry from sysfs and shows the sharing screen whose QR decodes to the link', () => {
    const display = openFramebufferDisplay(fbDevice);
    try {
      const g = display.geometry;
      if (fbDevice === '/dev/fb0' && readFileSync('/sys/class/graphics/fb0/name', 'utf8').includes('bochs')) {
        expect(g).toEqual({ width: 1280, height: 800, stride: 5120, format: 'xrgb8888' });
      }
      display.show(renderScreen({ screen: 'sharing', link, code: 'K7P-4QX', linkNumber: 1, maxViewers: 1 }, g, 'fr'));
      expect(decodeQr(g)).toBe(link);
    } finally {
      display.close();
    }
  });
});
if (!existsSync(fbDevice)) it.skip(`skipped: no ${fbDevice} (run hw-tests/emulated/run.sh with --vga, or on a board with a panel)`, () => {});

// A uinput keyboard with one key (KEY_ENTER), driven by lines on stdin: "1" press, "0" release.
const uinputHelper = `
import fcntl, os, struct, sys, time
fd = os.open('/dev/uinput', os.O_WRONLY | os.O_NONBLOCK)
fcntl.ioctl(fd, 0x40045564, 1)        # UI_SET_EVBIT EV_KEY
fcntl.ioctl(fd, 0x40045565, 28)       # UI_SET_KEYBIT KEY_ENTER
setup = struct.pack('<HHHH80sI', 0x03, 0x1209, 0x0001, 1, b'sonobox-test-button', 0)
fcntl.ioctl(fd, 0x405c5503, setup)    # UI_DEV_SETUP
fcntl.ioctl(fd, 0x5501)               # UI_DEV_CREATE
print('ready', flush=True)
def ev(t, c, v):
    s = time.time()
    os.write(fd, struct.pack('<qqHHi', int(s), int((s % 1) * 1e6), t, c, v))
for line in sys.stdin:
    ev(1, 28, int(line)); ev(0, 0, 0)
    print('sent', flush=True)
fcntl.ioctl(fd, 0x5502)               # UI_DEV_DESTROY
`;

function eventNodeNamed(name: string): string | undefined {
  for (const e of readdirSync('/sys/class/input').filter((d) => d.startsWith('event'))) {
    try {
      if (readFileSync(`/sys/class/input/${e}/device/name`, 'utf8').trim() === name) return `/dev/input/${e}`;
    } catch { /* vanished */ }
  }
  return undefined;
}

describe.skipIf(!existsSync(fbDevice) || !existsSync('/dev/uinput'))('uinput button drives the screen', () => {
  let helper: ChildProcessWithoutNullStreams | undefined;
  afterAll(() => { helper?.stdin.end(); helper?.kill(); });

  it('short press shows the QR, long press ends, then idle', async () => {
    // /dev/input/eventN nodes come from the evdev handler, a module on Debian's kernel.
    if (!existsSync('/sys/module/evdev')) execFileSync('modprobe', ['evdev']);
    helper = spawn('/usr/bin/python3', ['-c', uinputHelper]);
    const lines: string[] = [];
    helper.stdout.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')));
    for (let i = 0; i < 200 && !lines.includes('ready'); i++) await sleep(20);
    expect(lines).toContain('ready');
    let node: string | undefined;
    for (let i = 0; i < 100 && !(node = eventNodeNamed('sonobox-test-button')); i++) await sleep(20);
    expect(node, 'uinput device has an /dev/input/eventN node').toBeDefined();

    const display = openFramebufferDisplay(fbDevice);
    let active = false;
    const sessions: CartSessions = {
      issueLink: () => { active = true; return { ok: true, link, code: 'K7P-4QX' }; },
      end: async () => { active = false; },
      clear: () => {},
      counts: () => ({ active, viewers: 0, linksOutstanding: active ? 1 : 0, maxViewers: 1, viewerChanges: 0 }),
      onChange: () => () => {},
    };
    const cart = new CartController({
      display, sessions, language: 'en', tickMs: 50,
      button: new EvdevButton({ path: node!, timing: { debounceMs: 30, longPressMs: 600 } }),
      limits: { maxSessionMs: 60_000, noViewerMs: 60_000, endedScreenMs: 500 },
    });
    try {
      cart.start();
      cart.setSourceCondition('live');
      await sleep(200);
      expect(decodeQr(display.geometry)).toBeUndefined();
      helper.stdin.write('1\n');
      await sleep(100);
      helper.stdin.write('0\n');
      for (let i = 0; i < 100 && cart.state.kind !== 'sharing'; i++) await sleep(20);
      expect(cart.state.kind).toBe('sharing');
      expect(decodeQr(display.geometry)).toBe(link);
      helper.stdin.write('1\n');
      for (let i = 0; i < 100 && cart.state.kind !== 'ended'; i++) await sleep(20);
      expect(cart.state.kind).toBe('ended');
      helper.stdin.write('0\n');
      expect(decodeQr(display.geometry)).toBeUndefined();
      for (let i = 0; i < 100 && cart.state.kind !== 'idle'; i++) await sleep(20);
      expect(cart.state.kind).toBe('idle');
    } finally {
      cart.stop();
      display.close();
    }
  });
});
if (!existsSync('/dev/uinput')) it.skip('skipped: no /dev/uinput (modprobe uinput; run in hw-tests/emulated/run.sh)', () => {});
