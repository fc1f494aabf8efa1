import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQRModule from 'jsqr';
import { afterAll, describe, expect, it } from 'vitest';
import type { Canvas } from './canvas.js';
import { FramebufferDisplay } from './framebuffer-display.js';
import type { PixelFormat } from './framebuffer-format.js';
import { framebufferToCanvas, packedGeometry } from './framebuffer-format.js';
import { languages } from './messages.js';
import { canvasToPng, pngToCanvas } from './png-display.js';
import type { ScreenState } from './screens.js';
import { renderScreen, renderScreenDetailed } from './screens.js';
import { cellSize } from '../font/text.js';

// Regenerate the goldens after an intended change: UPDATE_GOLDEN=1 npx vitest run appliance/src/cart/screens.test.ts
const update = process.env.UPDATE_GOLDEN === '1';
// jsqr is CommonJS with an ES-style `default` in its typings; take whichever is the function.
type JsQR = typeof jsQRModule.default;
const jsQR = ((jsQRModule as unknown as { default?: JsQR }).default ?? jsQRModule) as JsQR;
const goldenDir = join(import.meta.dirname, 'test/golden');

// The longest link the box makes: worst-case IPv4 host, 32-byte base64url token (43 chars).
const link = 'http://192.168.100.200:8080/v#t=' + 'Zm9vYmFyYmF6cXV4LXNvbm9ib3gtZ29sZGVuLXRva2Vu'.slice(0, 43);

const states: Record<string, ScreenState> = {
  idle: { screen: 'idle', signal: true },
  'idle-no-signal': { screen: 'idle', signal: false },
  sharing: { screen: 'sharing', link, code: 'K7P-4QX', linkNumber: 1, maxViewers: 1 },
  'join-wifi': { screen: 'join-wifi', wifiQr: 'WIFI:T:WPA;S:sonobox;P:abcdefghjkmnpqrstuvwxyz2;;', ssid: 'sonobox' },
  'sharing-mask-off': { screen: 'sharing', link, code: 'K7P-4QX', linkNumber: 2, maxViewers: 2, maskOff: true },
  'sharing-second-link': { screen: 'sharing', link, code: 'M2D-9TZ', linkNumber: 2, maxViewers: 2 },
  watching: { screen: 'watching', viewers: 1, maxViewers: 2, elapsedMs: 12 * 60_000 + 34_000 },
  'watching-sound': { screen: 'watching', viewers: 1, maxViewers: 2, elapsedMs: 12 * 60_000 + 34_000, sound: 'on' },
  'watching-muted': { screen: 'watching', viewers: 2, maxViewers: 2, elapsedMs: 12 * 60_000 + 34_000, sound: 'muted' },
  'watching-reconnected': { screen: 'watching', viewers: 2, maxViewers: 2, elapsedMs: 12 * 60_000 + 34_000, sound: 'muted', viewerChanges: 3 },
  'no-signal': { screen: 'no-signal', sessionActive: true },
  ended: { screen: 'ended', reason: 'no-viewer' },
  error: { screen: 'error', problem: 'no-device', sessionActive: false },
  // The longest settings problem config-file.ts makes (button.key), plus the "more" note.
  'config-error': {
    screen: 'error',
    problem: 'config',
    sessionActive: false,
    detail: 'button.key must be an evdev key name such as "KEY_ENTER", "KEY_SPACE", "KEY_PROG1", "KEY_F13", "BTN_0", or a key number from 1 to 767 (got "KEY_ENTRE"); using the default. (+2 more in the log)',
  },
};
const sizes = [[320, 240], [480, 320], [800, 480], [1280, 720]] as const;
const formats: PixelFormat[] = ['rgb565', 'xrgb8888'];
const goldenScreens = ['idle', 'sharing', 'join-wifi', 'watching', 'no-signal', 'ended', 'error'];

const work = mkdtempSync(join(tmpdir(), 'sonobox-screens-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Renders through the real display path: canvas → file-backed framebuffer → bytes → canvas. */
function throughFramebuffer(state: ScreenState, width: number, height: number, format: PixelFormat, lang: 'en' | 'fr'): Canvas {
  const g = packedGeometry(width, height, format);
  const file = join(work, 'fb');
  writeFileSync(file, Buffer.alloc(g.stride * g.height));
  const display = new FramebufferDisplay(file, g);
  display.show(renderScreen(state, g, lang));
  display.close();
  return framebufferToCanvas(readFileSync(file), g);
}

function countDifferentPixels(a: Canvas, b: Canvas): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if (a.data[i] !== b.data[i] || a.data[i + 1] !== b.data[i + 1] || a.data[i + 2] !== b.data[i + 2]) n++;
  }
  return n;
}

describe('golden screens through a file-backed framebuffer', () => {
  for (const name of goldenScreens) {
    for (const [w, h] of sizes) {
      for (const format of formats) {
        const lang = 'en';
        it(`${name} ${w}x${h} ${format}`, () => {
          const got = throughFramebuffer(states[name]!, w, h, format, lang);
          const file = join(goldenDir, `${name}-${lang}-${w}x${h}-${format}.png`);
          if (update) writeFileSync(file, canvasToPng(got));
          expect(existsSync(file), `${file} missing; run with UPDATE_GOLDEN=1`).toBe(true);
          const want = pngToCanvas(readFileSync(file));
          expect([want.width, want.height]).toEqual([w, h]);
          expect(countDifferentPixels(got, want)).toBe(0);
        });
      }
    }
  }
  for (const name of goldenScreens) {
    it(`${name} in French 480x320 rgb565`, () => {
      const got = throughFramebuffer(states[name]!, 480, 320, 'rgb565', 'fr');
      const file = join(goldenDir, `${name}-fr-480x320-rgb565.png`);
      if (update) writeFileSync(file, canvasToPng(got));
      expect(countDifferentPixels(got, pngToCanvas(readFileSync(file)))).toBe(0);
    });
  }
});

describe('the QR code on the sharing screen decodes to the link', () => {
  for (const [w, h] of [...sizes, [240, 320] as const]) {
    for (const format of formats) {
      it(`${w}x${h} ${format}`, () => {
        const c = throughFramebuffer(states.sharing!, w, h, format, 'fr');
        const decoded = jsQR(new Uint8ClampedArray(c.data.buffer, c.data.byteOffset, c.data.byteLength), c.width, c.height);
        expect(decoded?.data).toBe(link);
      });
    }
  }
});

describe('text never overflows its box', () => {
  for (const lang of languages) {
    for (const [w, h] of [...sizes, [240, 320] as const, [480, 800] as const]) {
      it(`${lang} ${w}x${h}`, () => {
        for (const [name, state] of Object.entries(states)) {
          const r = renderScreenDetailed(state, { width: w, height: h }, lang);
          expect(r.texts.length, name).toBeGreaterThan(0);
          for (const t of r.texts) {
            expect(t.layout.overflow, `${name}: "${t.text}"`).toBe(false);
            expect(t.layout.width, `${name}: "${t.text}"`).toBeLessThanOrEqual(t.box.width);
            expect(t.layout.height, `${name}: "${t.text}"`).toBeLessThanOrEqual(t.box.height);
            // Boxes stay on the screen.
            expect(t.box.x >= 0 && t.box.y >= 0 && t.box.x + t.box.width <= w && t.box.y + t.box.height <= h, name).toBe(true);
          }
        }
      });
    }
  }

  it('headlines are readable at arm\'s length on a 320x240 panel (at least 16 px tall)', () => {
    const r = renderScreenDetailed(states.idle!, { width: 320, height: 240 }, 'fr');
    const title = r.texts[0]!;
    expect(cellSize(title.layout.style).height).toBeGreaterThanOrEqual(16);
  });
});
