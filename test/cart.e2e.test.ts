/**
 * The cart end to end: the real app on loopback with its button read from a FIFO of raw
 * struct input_event bytes (what /dev/input/eventN delivers) and its screen kept as a PNG.
 * A short press shows a QR code; the link decoded from the screen's pixels plays in a real
 * headless Chromium; a long press ends the session for that viewer and kills the link.
 */
import { PageClient } from '../appliance/src/http/test/page-client.js';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQRModule from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../appliance/src/app.js';
import { pickHardware } from '../appliance/src/hardware/pick-hardware.js';
import { stampReaderSource } from '../appliance/src/capture/frame-stamp.js';
import { EV_KEY, EV_SYN, encodeInputEvent, keyCodes, KeyValue } from '../appliance/src/cart/evdev.js';
import { pngToCanvas } from '../appliance/src/cart/png-display.js';
import type { Config } from '../appliance/src/config/config.js';
import { errorTable } from '../appliance/src/http/error-table.js';
import { chromiumOffer } from './hostile/hostile-box.js';
import { LINK_PATTERN, tokenFromLink } from './support/link.js';
import { loopbackConfig } from './support/loopback-config.js';
import { createLogger } from '../appliance/src/system/logger.js';
import { launchChromium } from './support/chromium.js';
import { openViewer, samplePresentedFrames, waitForState } from './support/viewer-page.js';

type JsQR = typeof jsQRModule.default;
const jsQR = ((jsQRModule as unknown as { default?: JsQR }).default ?? jsQRModule) as JsQR;

/** A key other than Enter, so the test also proves the configured code is the one obeyed. */
const buttonKey = keyCodes.KEY_F13;

function cartConfig(buttonPath: string, edit?: (c: Config) => void): Config {
  return loopbackConfig((c) => {
    c.cart.button = buttonPath;
    c.cart.buttonKeyCode = buttonKey;
    c.cart.language = 'en';
    edit?.(c);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 50 ms until it returns true; fails with `what` after `timeoutMs`. */
async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * The real app with its button on a FIFO of raw input_event bytes and its screen in memory
 * (PNG at /api/cart.png), plus the few things a test does with them.
 */
interface CartRig {
  app: App;
  base: string;
  /** Presses the button for `holdMs` (≥ 2 s is the long press). */
  press(holdMs: number): Promise<void>;
  /** Writes raw bytes to the button FIFO. */
  write(bytes: Buffer): void;
  cartPng(): Promise<{ width: number; height: number; data: Uint8Array }>;
  /** The QR code on the cart screen, decoded from its pixels. */
  qrOnScreen(): Promise<string | undefined>;
  sessionStatus(): Promise<{ state: string; viewers: number; linksOutstanding: number }>;
  close(): Promise<void>;
}

async function startCartRig(edit?: (c: Config) => void): Promise<CartRig> {
  const dir = mkdtempSync(join(tmpdir(), 'sonobox-cart-e2e-'));
  const fifo = join(dir, 'button');
  execFileSync('mkfifo', ['-m', '600', fifo], { timeout: 5000 });
  /** Our end of the FIFO. O_RDWR never blocks on Linux (a FIFO opened for writing only would wait for the reader). */
  const writer = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  const config = cartConfig(fifo, edit);
  const logger = createLogger({ level: 'warn' });
  const app = buildApp({ config, logger, hardware: await pickHardware(config, { logger }) });
  const base = await app.start();
  const write = (bytes: Buffer): void => {
    expect(writeSync(writer, bytes)).toBe(bytes.length);
  };
  /** One EV_KEY for the configured code followed by the EV_SYN that closes the report, as the kernel sends it. */
  const key = (value: number): void => {
    const now = Date.now();
    const time = { seconds: Math.floor(now / 1000), microseconds: (now % 1000) * 1000 };
    write(Buffer.concat([encodeInputEvent({ ...time, type: EV_KEY, code: buttonKey, value }), encodeInputEvent({ ...time, type: EV_SYN, code: 0, value: 0 })]));
  };
  const rig: CartRig = {
    app,
    base,
    write,
    async press(holdMs) {
      key(KeyValue.press);
      await sleep(holdMs);
      key(KeyValue.release);
    },
    async cartPng() {
      const res = await fetch(new URL('/api/cart.png', base), { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      return pngToCanvas(new Uint8Array(await res.arrayBuffer()));
    },
    async qrOnScreen() {
      const c = await rig.cartPng();
      return jsQR(new Uint8ClampedArray(c.data.buffer, c.data.byteOffset, c.data.byteLength), c.width, c.height)?.data;
    },
    async sessionStatus() {
      const res = await fetch(new URL('/api/status', base), { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { session: { state: string; viewers: number; linksOutstanding: number } }).session;
    },
    async close() {
      // The app first (the button stops reading), then our end of the FIFO: closing it
      // earlier would make the button see EOF and start reopening the FIFO.
      await app.stop();
      closeSync(writer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** A WHEP offer claiming a link, signed as the viewer page signs it: the status code only. */
async function whepStatus(base: string, link: string): Promise<number> {
  const url = new URL('/whep', base);
  const page = new PageClient(tokenFromLink(link), url.origin);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp', authorization: page.sign('POST', '/whep', chromiumOffer).authorization },
    body: chromiumOffer,
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('the cart: FIFO button, PNG screen, QR link, live viewer, long press ends it', () => {
  let rig: CartRig;
  let app: App;
  let base: string;
  let browser: Browser;
  let link = '';
  let viewer: Page;
  let devScreenBefore: number | undefined;
  const devScreenFile = join(tmpdir(), 'sonobox-cart.png');
  const press = (ms: number): Promise<void> => rig.press(ms);
  const qrOnScreen = (): Promise<string | undefined> => rig.qrOnScreen();
  const sessionStatus = (): ReturnType<CartRig['sessionStatus']> => rig.sessionStatus();

  beforeAll(async () => {
    devScreenBefore = statOrUndefined(devScreenFile);
    rig = await startCartRig();
    ({ app, base } = rig);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await rig?.close();
  });

  it('idle: the screen is served to the box as a PNG without a QR code, and no session runs', async () => {
    await until('the first cart screen', async () => (await fetch(new URL('/api/cart.png', base))).status === 200);
    const screen = await rig.cartPng();
    expect([screen.width, screen.height]).toEqual([480, 320]);
    expect(await qrOnScreen()).toBeUndefined();
    expect(app.cart.state.kind).toBe('idle');
    expect((await sessionStatus()).state).toBe('idle');
  });

  it('a press of another key does nothing', async () => {
    const now = { seconds: 0, microseconds: 0 };
    rig.write(encodeInputEvent({ ...now, type: EV_KEY, code: keyCodes.KEY_ENTER, value: KeyValue.press }));
    await sleep(100);
    rig.write(encodeInputEvent({ ...now, type: EV_KEY, code: keyCodes.KEY_ENTER, value: KeyValue.release }));
    await sleep(300);
    expect(app.cart.state.kind).toBe('idle');
    expect((await sessionStatus()).state).toBe('idle');
  });

  it('a short press starts a session; the QR code on the screen is the link, and it plays live in Chromium', async () => {
    await press(150);
    await until('the cart to show a link', () => app.cart.state.kind === 'sharing', 5000);
    expect((await sessionStatus()).state).toBe('active');
    link = (await qrOnScreen()) ?? '';
    expect(link).toMatch(new RegExp(`^${base.replace(/[.]/g, '\\.')}/v#t=[A-Za-z0-9_-]{20,}&f=[A-Za-z0-9_-]{43}$`));

    viewer = await openViewer(browser, link);
    await waitForState(viewer, 'live', 30_000);
    const frames = await samplePresentedFrames(viewer, stampReaderSource, 20, 30_000);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.seq).toBeGreaterThan(frames[i - 1]!.seq);
  });

  it('once the viewer is in, the cart shows "watching" with one viewer and the QR code is gone', async () => {
    await until('the cart to count the viewer', () => app.cart.state.kind === 'watching', 10_000);
    const s = app.cart.state;
    expect(s.kind === 'watching' ? s.session.viewers : -1).toBe(1);
    expect((await sessionStatus()).viewers).toBe(1);
    expect(await qrOnScreen()).toBeUndefined();
  });

  it('a long press ends the session: the viewer is told, the link is dead, and the cart returns to idle', async () => {
    await press(2300);
    await waitForState(viewer, 'ended', 10_000);
    expect(app.cart.state.kind).toBe('ended');
    const status = await sessionStatus();
    expect(status.viewers).toBe(0);
    expect(status.state).not.toBe('active');
    expect(app.hub.readerCount).toBe(0);

    const again = await openViewer(browser, link);
    await waitForState(again, 'link-invalid', 20_000);
    await again.context().close();

    // The 'ended' screen stays about 4 s, then the cart and the session manager are idle again.
    await until('the cart to return to idle', () => app.cart.state.kind === 'idle', 10_000);
    expect((await sessionStatus()).state).toBe('idle');
    expect(await qrOnScreen()).toBeUndefined();
  });

  it('the long press did not also count as a short press: no new session after its release', async () => {
    await sleep(300);
    expect(app.cart.state.kind).toBe('idle');
    expect((await sessionStatus()).state).toBe('idle');
  });

  it('the screen (which carried the QR code) was never written to a file', () => {
    expect(statOrUndefined(devScreenFile)).toBe(devScreenBefore);
  });
});

describe('the cart with one viewer place: pressing again while the link is unused replaces it', () => {
  let rig: CartRig;
  let browser: Browser;

  beforeAll(async () => {
    rig = await startCartRig((c) => (c.session.maxViewers = 1));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await rig?.close();
  });

  it('press → QR; press again → a new QR, the old link is dead (403), the new one plays; then a third press and POST /api/session are refused truthfully', async () => {
    await rig.press(150);
    await until('the cart to show a link', () => rig.app.cart.state.kind === 'sharing', 5000);
    const first = (await rig.qrOnScreen()) ?? '';
    expect(first).toMatch(LINK_PATTERN);

    await rig.press(150);
    await until('a new QR code', async () => ((await rig.qrOnScreen()) ?? first) !== first, 5000);
    const second = (await rig.qrOnScreen())!;
    expect(second).toMatch(LINK_PATTERN);
    expect(tokenFromLink(second)).not.toBe(tokenFromLink(first));
    expect(await rig.sessionStatus()).toMatchObject({ state: 'active', viewers: 0, linksOutstanding: 1 });
    // The screen still says "Link 1 / 1": the new link took the old one's place.
    const s = rig.app.cart.state;
    expect(s.kind === 'sharing' ? s.session.linkNumber : -1).toBe(1);

    // The old link, posted as any WHEP client would, gets the usual 403; the new one plays.
    expect(await whepStatus(rig.base, first)).toBe(403);
    const viewer = await openViewer(browser, second);
    await waitForState(viewer, 'live', 30_000);
    const frames = await samplePresentedFrames(viewer, stampReaderSource, 10, 30_000);
    expect(frames.length).toBeGreaterThanOrEqual(10);
    await until('the cart to count the viewer', () => rig.app.cart.state.kind === 'watching', 10_000);

    // Every place is now bound to a device: a press does nothing, and the API says so truthfully.
    await rig.press(150);
    await sleep(300);
    expect(rig.app.cart.state.kind).toBe('watching');
    const refused = await fetch(new URL('/api/session', rig.base), { method: 'POST', signal: AbortSignal.timeout(5000) });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ error: 'session-full', message: errorTable['session-full'].message });
    expect(await rig.sessionStatus()).toMatchObject({ viewers: 1, linksOutstanding: 0 });
    await viewer.context().close();
  });
});

function statOrUndefined(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}
