/**
 * Debian's Firefox ESR, headless, driven over WebDriver BiDi by puppeteer-core; never a
 * downloaded browser (puppeteer-core downloads none, and the executable is always named).
 *
 * Its ICE settings are Firefox's defaults: mDNS host candidates and `a=end-of-candidates`.
 * Exactly two preferences differ from a stock profile, both an artefact of offline CI:
 * Firefox normally downloads Cisco's OpenH264 plugin on first run, which this machine
 * cannot, so H.264 goes through the system libavcodec instead, which needs both
 * `media.webrtc.hw.h264.enabled` and `gfx.blacklist.webrtc.hw.acceleration.h264` (neither
 * alone; field notes). A phone's Firefox has the plugin and needs neither.
 *
 * With `netns`, Firefox runs inside that network namespace (test/support/netns.ts) while
 * puppeteer stays in this process (firefox-netns-relay.mjs carries the BiDi socket).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';

export const firefoxPath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
export const haveFirefox = existsSync(firefoxPath);

/** The only non-default preferences (offline-CI artefact, see above). */
export const FIREFOX_OFFLINE_H264_PREFS = {
  'media.webrtc.hw.h264.enabled': true,
  'gfx.blacklist.webrtc.hw.acceleration.h264': 1,
} as const;

const relayScript = fileURLToPath(new URL('./firefox-netns-relay.mjs', import.meta.url));

export interface LaunchFirefoxOptions {
  /** Run Firefox inside this network namespace. */
  readonly netns?: string;
  /** Preferences on top of FIREFOX_OFFLINE_H264_PREFS (e.g. none, to show Firefox without H.264). */
  readonly prefs?: Record<string, unknown>;
  /** Leave out the offline H.264 preferences: a Firefox that cannot play H.264. */
  readonly withoutH264?: boolean;
}

/** A fresh headless Firefox ESR with its own temporary profile. */
export async function launchFirefox(options: LaunchFirefoxOptions = {}): Promise<Browser> {
  const prefs = { ...(options.withoutH264 ? {} : FIREFOX_OFFLINE_H264_PREFS), ...options.prefs };
  if (!options.netns) {
    return puppeteer.launch({ browser: 'firefox', executablePath: firefoxPath, headless: true, extraPrefsFirefox: prefs, timeout: 60_000 });
  }
  const dir = mkdtempSync(join(tmpdir(), 'sb-br-firefox-'));
  const socketPath = join(dir, 'bidi.sock');
  const relay: Server = createServer((client) => {
    const upstream = connect(socketPath);
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const hostPort = (relay.address() as { port: number }).port;
  const wrapper = join(dir, 'firefox');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec '${options.netns}' '${process.execPath}' '${relayScript}' '${socketPath}' ${hostPort} '${firefoxPath}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  try {
    const browser = await puppeteer.launch({ browser: 'firefox', executablePath: wrapper, headless: true, extraPrefsFirefox: prefs, timeout: 60_000 });
    browser.once('disconnected', () => {
      relay.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return browser;
  } catch (error) {
    relay.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
