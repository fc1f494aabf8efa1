/**
 * A capture dongle plugged in after the box started is used (the appliance bug: with none
 * at start it streamed the test pattern until restarted). Here vivid stands in for the
 * dongle: it is unloaded, the appliance's source is picked exactly as main.ts picks it
 * (hardware/pick-source.ts, source auto with --appliance, the real /sys and /dev) and
 * started, then `modprobe vivid` plugs it in; the real udevd with udev/99-sonobox.rules
 * gives it /dev/sonobox/capture, and vivid's frames must arrive within 3 s. Needs root,
 * modprobe, vivid and systemd-udevd: the QEMU guest of hw-tests/emulated/run.sh has them.
 * On a board: boot without the dongle, plug it in, watch the cart go from "no capture
 * device" to the picture.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceCondition } from '../appliance/src/media/source-condition.js';
import { memoryLogger } from '../appliance/src/system/test/memory-logger.js';
import { defaultConfig } from '../appliance/src/config/config.js';
import { pickSource } from '../appliance/src/hardware/pick-source.js';
import { canReloadModules, titled, unloadVivid, waitFor } from './hw-vivid.js';

const HOTPLUG_MS = 3000;
const udevd = ['/lib/systemd/systemd-udevd', '/usr/lib/systemd/systemd-udevd'].find((p) => existsSync(p));
const hasVivid = spawnSync('modinfo', ['vivid'], { stdio: 'ignore' }).status === 0;
const skip = !canReloadModules() ? 'needs root and modprobe to load vivid' : !hasVivid ? 'no vivid module (run under hw-tests/emulated/run.sh)' : !udevd ? 'no systemd-udevd to name the device' : undefined;
const rules = '/run/udev/rules.d/99-sonobox.rules';

describe.skipIf(skip)(titled('a capture device plugged in after start (appliance source auto, udev, modprobe vivid)', skip), () => {
  let daemon: ChildProcess | undefined;

  beforeAll(async () => {
    await unloadVivid(); // no dongle at start
    mkdirSync('/run/udev/rules.d', { recursive: true });
    copyFileSync(new URL('../udev/99-sonobox.rules', import.meta.url), rules);
    daemon = spawn(udevd!, [], { stdio: 'ignore' });
    await waitFor('udevd to answer', 10_000, () => spawnSync('udevadm', ['control', '--ping'], { stdio: 'ignore' }).status === 0);
  });

  afterAll(() => {
    daemon?.kill('SIGTERM');
    rmSync(rules, { force: true });
    // udevd made the link; gone with it, so later tests find vivid by scanning as before.
    rmSync('/dev/sonobox', { recursive: true, force: true });
    spawnSync('modprobe', ['vivid']); // leave the guest as the other hw-tests expect it
  });

  it('shows no-device, then streams vivid within 3 s of modprobe', async () => {
    const config = { ...structuredClone(defaultConfig), appliance: true, source: { ...defaultConfig.source, spec: 'auto', width: 640, height: 480 } };
    const log = memoryLogger();
    const picked = pickSource(config, { root: '/', stdin: new PassThrough(), logger: log.logger });
    expect(picked.source.kind).toBe('v4l2');
    const conditions: SourceCondition[] = [];
    let frames = 0;
    picked.source.start({ onFrame: () => frames++, onCondition: (c) => conditions.push(c) });
    try {
      await waitFor('no-device', HOTPLUG_MS, () => conditions.at(-1) === 'no-device');
      await new Promise((r) => setTimeout(r, 1000));
      expect(frames).toBe(0);

      spawnSync('modprobe', ['vivid'], { stdio: 'inherit' });
      const t0 = performance.now();
      await waitFor('frames from vivid', HOTPLUG_MS, () => frames > 0 && conditions.at(-1) === 'live');
      console.log(`[hw] plugged in → first frame ${(performance.now() - t0).toFixed(0)} ms (${existsSync('/dev/sonobox/capture') ? 'through /dev/sonobox/capture' : 'without the udev name'})`);
      expect(existsSync('/dev/sonobox/capture')).toBe(true);
      expect(conditions).toEqual(['no-device', 'live']);
    } finally {
      await picked.source.stop();
    }
  });
});
