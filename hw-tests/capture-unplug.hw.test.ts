/**
 * Unplug and replug, on vivid: its "Disconnect" control makes a pending dequeue fail with
 * ENODEV, and unbinding its platform device removes the node, together what pulling a USB
 * dongle does. V4l2Source must report
 * 'no-device' (no hang, no crash), release the device so the module can be unloaded, and
 * go live again within 3 s of `modprobe vivid` bringing the node back. Needs vivid and
 * root; on a board, pull the dongle by hand instead (hw-tests/README.md).
 */
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../appliance/src/system/test/memory-logger.js';
import { V4l2Source } from '../appliance/src/capture/v4l2-source.js';
import type { SourceCondition } from '../appliance/src/media/source-condition.js';
import { canReloadModules, replugVivid, setVividControl, titled, unbindVivid, vividNode, waitFor } from './hw-vivid.js';

const path = vividNode();
const skip = !path ? 'no device (vivid is not loaded; run under hw-tests/emulated/run.sh)' : !canReloadModules() ? 'needs root and modprobe to replug vivid' : undefined;
const RECOVER_MS = 3000;

describe.skipIf(skip)(titled('unplug and replug (vivid disconnect + rmmod/modprobe)', skip), () => {
  it('disconnect → no-device without hanging; replug → live within 3 s', async () => {
    const conditions: SourceCondition[] = [];
    const { logger, lines } = memoryLogger();
    let frames = 0;
    // 'auto' with vivid accepted: after the replug the node is found again by scanning sysfs.
    const src = new V4l2Source({ device: 'auto', discovery: { drivers: ['vivid'] }, width: 640, height: 480, fps: 30, input: 0, logger });
    src.start({ onFrame: () => frames++, onCondition: (c) => conditions.push(c) });
    try {
      await waitFor('first frames', 20_000, () => frames >= 3);
      // Both in the same tick, before the source can react: the pending dequeue fails with
      // ENODEV (Disconnect) and the node is gone when the source looks for it again (unbind).
      setVividControl(path!, 'Disconnect', 1);
      unbindVivid();
      const gone = await waitFor('no-device', RECOVER_MS, () => conditions.at(-1) === 'no-device');
      console.log(`[hw] no-device reported ${gone.toFixed(0)} ms after disconnect`);
      await replugVivid(); // fails if the source still held the device open
      const t0 = performance.now();
      const before = frames;
      await waitFor('live again after modprobe', RECOVER_MS, () => conditions.at(-1) === 'live' && frames > before);
      console.log(`[hw] live again ${(performance.now() - t0).toFixed(0)} ms after modprobe vivid`);
    } finally {
      const t = performance.now();
      await src.stop();
      expect(performance.now() - t).toBeLessThan(1000); // stop never hangs
    }
    expect(conditions).toEqual(['live', 'no-device', 'live']);
    // One warning for the missing dongle: someone must plug it back in.
    expect(lines.filter((l) => l.msg.includes('disappeared'))).toEqual([expect.objectContaining({ level: 'warn' })]);
  });
});
