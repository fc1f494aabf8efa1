/**
 * A headless Chromium on the host watches what an emulated box serves: it opens the link
 * the guest printed on its console, with the origin swapped for the forwarded port
 * (127.0.0.1:<hostPort> -> guest:8080) and path and fragment kept whole, and reads the test
 * pattern's frame stamps back from the presented video. Chromium runs inside the test's
 * network namespace (a wrapper around the real binary; Playwright drives it over pipes,
 * which cross namespaces), so it reaches the guest only through QEMU's forwards.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { stampReaderSource } from '../../appliance/src/capture/frame-stamp.js';
import { chromiumArgs, chromiumPath } from '../support/chromium.js';
import { openViewer, samplePresentedFrames, waitForState, type PresentedFrame } from '../support/viewer-page.js';
import type { QemuAppliance } from './qemu-appliance.js';

export interface WatchOptions {
  netns: string;
  hostPort: number;
  /** Where the Chromium wrapper script is written. */
  workDir: string;
  /** Stamped frames to read (distinct or not: the caller judges). */
  frames: number;
  liveTimeoutMs: number;
  framesTimeoutMs: number;
}

export interface Watched {
  /** The link as the guest printed it. */
  printed: string;
  /** Link opened → the page says "live". */
  openToLiveMs: number;
  /** Link opened → the first stamped frame was presented. */
  openToFirstFrameMs: number;
  presented: PresentedFrame[];
}

/** The printed link with the guest's origin replaced by the host side of the forward. */
export function forwardedLink(printed: string, hostPort: number): string {
  const u = new URL(printed);
  return `http://127.0.0.1:${hostPort}${u.pathname}${u.search}${u.hash}`;
}

/** Watches the newest link on `q`'s console; on a page that never goes live, shows the service's last log lines. */
export async function watchFromHost(q: QemuAppliance, o: WatchOptions): Promise<Watched> {
  const printed = (await q.waitForConsole(/Link: https?:\/\/\S+/, 10_000)).line.replace(/^.*Link: /, '').trim();
  const wrapper = join(o.workDir, 'chromium-in-netns.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${o.netns} ${chromiumPath} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const browser = await chromium.launch({ executablePath: wrapper, headless: true, args: chromiumArgs, timeout: 60_000 });
  try {
    const t0 = performance.now();
    const page = await openViewer(browser, forwardedLink(printed, o.hostPort));
    await waitForState(page, 'live', o.liveTimeoutMs).catch((e: unknown) => {
      // The service logs to the console (stdout is the tty); show its last lines.
      const log = q.console.filter((l) => l.includes('"level"')).slice(-20).join('\n');
      throw new Error(`${String(e)}\nservice log on the console:\n${log}`);
    });
    const openToLiveMs = performance.now() - t0;
    const first = await samplePresentedFrames(page, stampReaderSource, 1, o.framesTimeoutMs);
    const openToFirstFrameMs = performance.now() - t0;
    const rest = await samplePresentedFrames(page, stampReaderSource, o.frames - 1, o.framesTimeoutMs);
    return { printed, openToLiveMs, openToFirstFrameMs, presented: [...first, ...rest] };
  } finally {
    await browser.close();
  }
}
