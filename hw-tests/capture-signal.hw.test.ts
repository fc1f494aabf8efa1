/**
 * Signal trouble as state, on vivid's HDMI input: its "DV Timings Signal Mode" control makes
 * VIDIOC_QUERY_DV_TIMINGS fail with ENOLINK (1, no signal), ENOLCK (2, no sync) or ERANGE
 * (3, out of range). V4l2Source must report each once, keep running, and go live again
 * within 3 s of the signal returning. Needs vivid (emulated run); skipped on a board.
 */
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../appliance/src/system/test/memory-logger.js';
import { silentLogger } from '../appliance/src/system/logger.js';
import { V4l2Source } from '../appliance/src/capture/v4l2-source.js';
import type { SourceCondition } from '../appliance/src/media/source-condition.js';
import { SignalMode, setVividControl, titled, vividHdmiInput, vividNode, waitFor } from './hw-vivid.js';

const path = vividNode();
const hdmi = path ? vividHdmiInput(path) : undefined;
const skip = !path ? 'no device (vivid is not loaded; run under hw-tests/emulated/run.sh)' : hdmi === undefined ? 'vivid has no HDMI input (load it with input_types including 3)' : undefined;
const RECOVER_MS = 3000;

describe.skipIf(skip)(titled('HDMI signal conditions (vivid dv_timings_signal_mode)', skip), () => {
  it('no signal → no sync → out of range → live, each reported once, frames resume within 3 s', async () => {
    const conditions: SourceCondition[] = [];
    const { logger, messages } = memoryLogger();
    let frames = 0;
    const src = new V4l2Source({ device: path!, width: 1280, height: 720, fps: 30, input: hdmi!, logger });
    setVividControl(path!, 'DV Timings Signal Mode', SignalMode.locked, hdmi);
    src.start({ onFrame: () => frames++, onCondition: (c) => conditions.push(c) });
    const last = (): SourceCondition | undefined => conditions.at(-1);
    try {
      await waitFor('first frames', 20_000, () => frames >= 3);
      const steps: [number, SourceCondition][] = [
        [SignalMode.noSignal, 'no-signal'],
        [SignalMode.noSync, 'no-sync'],
        [SignalMode.outOfRange, 'out-of-range'],
      ];
      for (const [mode, want] of steps) {
        setVividControl(path!, 'DV Timings Signal Mode', mode, hdmi);
        const ms = await waitFor(want, RECOVER_MS, () => last() === want);
        console.log(`[hw] ${want} reported ${ms.toFixed(0)} ms after the change`);
      }
      const before = frames;
      setVividControl(path!, 'DV Timings Signal Mode', SignalMode.locked, hdmi);
      const ms = await waitFor('live again with new frames', RECOVER_MS, () => last() === 'live' && frames > before);
      console.log(`[hw] live again ${ms.toFixed(0)} ms after the signal returned`);
    } finally {
      await src.stop();
      setVividControl(path!, 'DV Timings Signal Mode', SignalMode.locked, hdmi);
    }
    expect(conditions).toEqual(['live', 'no-signal', 'no-sync', 'out-of-range', 'live']);
    // One log line per condition change (plus the mode line), nothing repeated.
    expect(messages().filter((l) => /no signal|no sync|out of range/.test(l))).toHaveLength(3);
  });

  it('starting without a signal reports no-signal (not an error) and goes live when it comes', async () => {
    setVividControl(path!, 'DV Timings Signal Mode', SignalMode.noSignal, hdmi);
    const conditions: SourceCondition[] = [];
    let frames = 0;
    const src = new V4l2Source({ device: path!, width: 1280, height: 720, fps: 30, input: hdmi!, logger: silentLogger });
    src.start({ onFrame: () => frames++, onCondition: (c) => conditions.push(c) });
    try {
      await waitFor('no-signal', RECOVER_MS, () => conditions.length > 0);
      setVividControl(path!, 'DV Timings Signal Mode', SignalMode.locked, hdmi);
      await waitFor('frames after the signal came', RECOVER_MS, () => frames > 0);
    } finally {
      await src.stop();
      setVividControl(path!, 'DV Timings Signal Mode', SignalMode.locked, hdmi);
    }
    expect(conditions).toEqual(['no-signal', 'live']);
  });
});
