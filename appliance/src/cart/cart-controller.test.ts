import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import jsQRModule from 'jsqr';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionManager } from '../sessions/session-manager.js';
import type { ViewerConnection } from '../webrtc/viewer-connection.js';
import { CartController } from './cart-controller.js';
import { deriveLinkSecrets } from '../credentials/link-keys.js';
import { humanCode, sessionManagerForCart } from './cart-sessions.js';
import { encodeInputEvent, EV_KEY, EV_SYN, keyCodes } from './evdev.js';
import { EvdevButton } from './evdev-button.js';
import { FramebufferDisplay } from './framebuffer-display.js';
import { framebufferToCanvas, packedGeometry } from './framebuffer-format.js';

type JsQR = typeof jsQRModule.default;
const jsQR = ((jsQRModule as unknown as { default?: JsQR }).default ?? jsQRModule) as JsQR;

const cleanup: (() => void)[] = [];
afterEach(() => { for (const f of cleanup.splice(0).reverse()) f(); });

function fakeViewer(id: string): ViewerConnection & { closedWith: string | undefined } {
  const listeners: ((r: string) => void)[] = [];
  const v = {
    id,
    state: 'connected' as ViewerConnection['state'],
    closedWith: undefined as string | undefined,
    onClosed: (l: (r: string) => void) => { listeners.push(l); },
    lastAuthenticatedRtcpAt: () => null,
    close: async (reason: string) => {
      if (v.closedWith !== undefined) return;
      v.closedWith = reason;
      v.state = 'closed' as ViewerConnection['state'];
      for (const l of listeners) l(reason);
    },
  };
  return v;
}

const key = (value: number): Buffer => Buffer.concat([
  encodeInputEvent({ seconds: 0, microseconds: 0, type: EV_KEY, code: keyCodes.KEY_ENTER, value }),
  encodeInputEvent({ seconds: 0, microseconds: 0, type: EV_SYN, code: 0, value: 0 }),
]);

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  for (const t0 = Date.now(); !cond(); await sleep(10)) if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
}

describe('cart controller: FIFO button → session manager → file-backed framebuffer', () => {
  it('press shares a working link as a QR, a viewer joins, long press ends it for everyone, idle again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sonobox-cart-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const fifo = join(dir, 'button');
    execFileSync('mkfifo', [fifo]);
    const fbFile = join(dir, 'fb0');
    const g = packedGeometry(320, 240, 'rgb565');
    writeFileSync(fbFile, Buffer.alloc(g.stride * g.height));
    const display = new FramebufferDisplay(fbFile, g);
    cleanup.push(() => display.close());

    const manager = new SessionManager({ policy: { linkTtlMs: 600_000, maxViewers: 1 } });
    cleanup.push(() => manager.dispose());
    const button = new EvdevButton({ path: fifo, timing: { debounceMs: 30, longPressMs: 300 }, retryMs: 20 });
    const cart = new CartController({
      display,
      button,
      sessions: sessionManagerForCart(manager, (t) => `http://127.0.0.1:8080/v#t=${t}`),
      language: 'en',
      limits: { maxSessionMs: 60_000, noViewerMs: 60_000, endedScreenMs: 200 },
      tickMs: 20,
    });
    cleanup.push(() => cart.stop());
    cart.start();
    cart.setSourceCondition('live');

    const writer = await open(fifo, 'w');
    cleanup.push(() => void writer.close());
    const screen = () => framebufferToCanvas(readFileSync(fbFile), g);

    // Short press: the framebuffer shows a QR code of a link the manager accepts.
    await writer.write(key(1));
    await sleep(80);
    await writer.write(key(0));
    await until('sharing', () => cart.state.kind === 'sharing');
    const c = screen();
    const decoded = jsQR(new Uint8ClampedArray(c.data.buffer), c.width, c.height)?.data;
    const token = decoded?.split('#t=')[1] ?? '';
    expect(decoded).toMatch(/^http:\/\/127\.0\.0\.1:8080\/v#t=/);
    expect(manager.credentialOf(deriveLinkSecrets(token)!.linkId)?.kind).toBe('claimable');
    expect(cart.state.kind === 'sharing' && cart.state.code).toBe(humanCode(token));

    // A viewer claims the link: the cart shows it is being watched.
    const viewer = fakeViewer('viewer-1');
    expect(manager.claim(deriveLinkSecrets(token)!.linkId, viewer)).toBe(true);
    expect(cart.state.kind).toBe('watching');

    // Long press (held past 300 ms): the viewer is disconnected, the link is dead.
    await writer.write(key(1));
    await until('ended', () => cart.state.kind === 'ended');
    await writer.write(key(0));
    await until('viewer closed', () => viewer.closedWith !== undefined);
    expect(manager.credentialOf(deriveLinkSecrets(token)!.linkId)).toBeUndefined();
    expect(manager.snapshot().state).toBe('ended');

    // After the ended screen, both the cart and the manager are idle; the screen says so.
    await until('idle', () => cart.state.kind === 'idle');
    expect(manager.snapshot().state).toBe('idle');
    const idle = screen();
    expect(jsQR(new Uint8ClampedArray(idle.data.buffer), idle.width, idle.height)).toBe(null);
    expect([...idle.data.subarray(0, 3)]).toEqual([0x08, 0x18, 0x29]); // the idle background, through RGB565
  });

  it('the FIFO writer going away and coming back (unplug/replug) keeps the button working', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sonobox-cart-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const fifo = join(dir, 'button');
    execFileSync('mkfifo', [fifo]);
    const actions: string[] = [];
    const warnings: string[] = [];
    const button = new EvdevButton({ path: fifo, timing: { debounceMs: 30, longPressMs: 300 }, retryMs: 20, log: { info: () => {}, warn: (m) => warnings.push(m) } });
    cleanup.push(() => button.stop());
    button.start((a) => actions.push(a));

    let w = await open(fifo, 'w');
    await w.write(key(1)); // pressed, then "unplugged" mid-press: no action may come of it
    await w.close();
    await sleep(400);
    expect(actions).toEqual([]);
    expect(warnings[0]).toMatch(/Button .* is missing or was unplugged; waiting for it to return/);

    w = await open(fifo, 'w');
    cleanup.push(() => void w.close());
    await w.write(Buffer.concat([key(1)]));
    await sleep(60);
    await w.write(key(0));
    await until('share', () => actions.length > 0);
    expect(actions).toEqual(['share']);
  });
});
