/**
 * Helpers for hw-tests: find the device under test (vivid in the emulated guest, the UVC
 * dongle on a board), drive vivid's test controls, and unplug/replug vivid. Tests that need
 * something missing skip with a reason in their title ("skipped: no device"), never pass.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { CaptureDevice } from '../appliance/src/v4l2/v4l2-capture-device.js';
import { findCaptureDevice, listVideoNodes, pickCaptureNodes } from '../appliance/src/v4l2/v4l2-discovery.js';

/** vivid's capture node, if the vivid module is loaded. */
export function vividNode(): string | undefined {
  return pickCaptureNodes(listVideoNodes(), ['vivid'])[0]?.path;
}

/** The device capture tests run on: vivid when loaded, else the real dongle (stable name or UVC scan). */
export function captureUnderTest(): { path: string; kind: 'vivid' | 'dongle' } | undefined {
  const v = vividNode();
  if (v) return { path: v, kind: 'vivid' };
  const d = findCaptureDevice();
  return d ? { path: d, kind: 'dongle' } : undefined;
}

/** A describe title that says loudly why it is skipped. */
export function titled(title: string, skipReason: string | undefined): string {
  if (skipReason) console.warn(`[hw-tests] ${title}: skipped: ${skipReason}`);
  return skipReason ? `${title} — skipped: ${skipReason}` : title;
}

/** vivid's HDMI input index (input_types 3), if it has one. */
export function vividHdmiInput(path: string): number | undefined {
  const dev = CaptureDevice.open(path);
  try {
    return dev.enumInputs().find((i) => i.hasDvTimings)?.index;
  } finally {
    dev.close();
  }
}

/** vivid's "DV Timings Signal Mode": 0 current timings, 1 no signal, 2 no sync, 3 out of range. */
export const SignalMode = { locked: 0, noSignal: 1, noSync: 2, outOfRange: 3 } as const;

/** Sets a vivid control by name through a short-lived second handle (controls are per device). */
export function setVividControl(path: string, name: string, value: number, input?: number): void {
  const dev = CaptureDevice.open(path);
  try {
    if (input !== undefined) dev.setInput(input);
    const c = dev.findControl(name);
    if (!c) throw new Error(`${path} has no control "${name}" (is this vivid?)`);
    dev.setControl(c.id, value);
  } finally {
    dev.close();
  }
}

/** True when this process may load and unload kernel modules (root with modprobe). */
export function canReloadModules(): boolean {
  try {
    execFileSync('modprobe', ['--version'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

/**
 * Unbinds vivid's platform device: its nodes disappear from /dev as when a USB dongle is
 * pulled (vivid's Disconnect control alone fails pending calls with ENODEV but lets the node
 * be opened again, which a pulled dongle does not).
 */
export function unbindVivid(): void {
  const drv = '/sys/bus/platform/drivers/vivid';
  const devs = readdirSync(drv).filter((d) => d.startsWith('vivid.'));
  for (const d of devs) writeFileSync(`${drv}/unbind`, d);
}

/** rmmod vivid (retrying while a closing fd still holds it), then modprobe vivid (options from modprobe.d). */
export async function replugVivid(): Promise<void> {
  await unloadVivid();
  execFileSync('modprobe', ['vivid'], { stdio: 'pipe' });
}

/** rmmod vivid, retrying for 5 s while a closing fd still holds it; a no-op when it is not loaded. */
export async function unloadVivid(): Promise<void> {
  if (!readFileSync('/proc/modules', 'utf8').split('\n').some((l) => l.startsWith('vivid '))) return;
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      execFileSync('rmmod', ['vivid'], { stdio: 'pipe' });
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        throw new Error(`rmmod vivid kept failing: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}; holders: ${videoHolders().join(', ') || 'none found'}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Which processes hold a /dev/video* open or mapped (for the error message when rmmod fails). */
export function videoHolders(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (/video|dmabuf/.test(target)) out.push(`pid ${pid} fd ${fd} → ${target}`);
      }
      const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').filter((l) => /\/dev\/video|dmabuf/.test(l));
      if (maps.length) out.push(`pid ${pid} has ${maps.length} mappings of ${maps[0]!.split(/\s+/).pop()}`);
    } catch {
      // process gone
    }
  }
  return out;
}

/** Resolves when check() is true, polling every 20 ms; rejects with `what` after timeoutMs. */
export async function waitFor(what: string, timeoutMs: number, check: () => boolean): Promise<number> {
  const t0 = performance.now();
  while (!check()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - t0;
}
