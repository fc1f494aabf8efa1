import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium; tests never download a browser. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags measured on these machines (shared/notes/field-notes.md): no network chatter,
 * autoplay allowed. Playwright adds --headless and a fresh temporary profile
 * (--user-data-dir) itself. ICE is Chromium's default: mDNS host candidates, gathered
 * on the default route's interface only (no camera permission; RFC 8828 mode 2).
 */
export const defaultIceChromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * The loopback tests' flags on top: loopback ICE candidates offered in the clear (no mDNS),
 * which is what lets a browser and a box on 127.0.0.1 meet. Phones never run like this;
 * test/browsers/ runs Chromium with defaultIceChromiumArgs in network namespaces.
 */
export const chromiumArgs = [
  ...defaultIceChromiumArgs,
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export interface LaunchChromiumOptions {
  /** Run Chromium inside this network namespace (test/support/netns.ts), with default ICE. */
  readonly netns?: string;
}

/** Launches a fresh headless Chromium with its own empty profile. */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  if (!options.netns) return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, timeout: 60_000 });
  // Playwright talks to Chromium over pipes (--remote-debugging-pipe), which cross namespaces.
  const dir = mkdtempSync(join(tmpdir(), 'sb-br-chromium-'));
  const wrapper = join(dir, 'chromium');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec '${options.netns}' '${chromiumPath}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  try {
    const browser = await chromium.launch({ executablePath: wrapper, headless: true, args: defaultIceChromiumArgs, timeout: 60_000 });
    browser.once('disconnected', () => rmSync(dir, { recursive: true, force: true }));
    return browser;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
