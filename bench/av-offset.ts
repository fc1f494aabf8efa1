/**
 * The bench's A/V offset (issue 12): the test pattern flashes its marker on the one frame
 * per tone burst (media/heartbeat-schedule.ts), so for each burst the page sees two
 * arrivals of the same capture instant: the marker frame's presentation
 * (requestVideoFrameCallback, corrected by the frame's offset from the burst start) and the
 * burst's onset in the received audio (a ScriptProcessor on the received track, the time
 * the sample is output per AudioContext.getOutputTimestamp). offset = audio − video:
 * positive when the sound comes late (ITU-R BT.1359: detectable at 45 ms early, 125 ms late).
 */
import type { Page } from 'playwright-core';
import { HEARTBEAT, markerBurstForFrame } from '../appliance/src/media/heartbeat-schedule.js';
import type { PresentedFrame } from '../test/support/viewer-page.js';

/**
 * Epoch ms at which each tone burst's first loud sample was output, over `ms`. A burst starts
 * where the level crosses `threshold` after at least `quietMs` below it. The sample's time is
 * known to within one processor buffer (256 samples, 5.3 ms at 48 kHz).
 */
export async function sampleToneOnsets(page: Page, ms: number, threshold = 0.1, quietMs = 200): Promise<number[]> {
  return page.evaluate(
    async ({ ms, threshold, quietMs }) => {
      const video = document.querySelector('video')!;
      const tracks = (video.srcObject as MediaStream).getAudioTracks();
      const ctx = new AudioContext();
      const size = 256;
      const tap = ctx.createScriptProcessor(size, 1, 1);
      ctx.createMediaStreamSource(new MediaStream(tracks)).connect(tap);
      tap.connect(ctx.destination); // a processor only runs when connected; its output stays silent
      const onsets: number[] = [];
      let lastLoud = -Infinity;
      tap.onaudioprocess = (e) => {
        const x = e.inputBuffer.getChannelData(0);
        const stamp = ctx.getOutputTimestamp();
        // The input block is the one rendered one buffer before the output block it returns.
        const blockStart = e.playbackTime - size / ctx.sampleRate;
        for (let i = 0; i < x.length; i++) {
          if (Math.abs(x[i]!) < threshold) continue;
          const t = blockStart + i / ctx.sampleRate;
          if ((t - lastLoud) * 1000 >= quietMs) onsets.push(performance.timeOrigin + stamp.performanceTime! + (t - stamp.contextTime!) * 1000);
          lastLoud = t;
        }
      };
      await new Promise((r) => setTimeout(r, ms));
      tap.onaudioprocess = null;
      await ctx.close();
      return onsets;
    },
    { ms, threshold, quietMs },
  );
}

export interface AvBurst {
  readonly burstStartMs: number;
  /** Glass-to-glass of the sound and of the marker frame, ms from the burst's capture time. */
  readonly audioMs: number;
  readonly videoMs: number;
  /** audio − video, ms: positive when the sound is late. */
  readonly offsetMs: number;
}

/**
 * Pairs onsets with marker frames by burst. An onset belongs to the latest burst that
 * started before it (the sound's latency is well under the 500 ms period); a burst counts
 * only when both its onset and its marker frame were seen.
 */
export function avBursts(frames: readonly PresentedFrame[], onsets: readonly number[], fps: number, periodMs = HEARTBEAT.periodMs): AvBurst[] {
  const video = new Map<number, number>();
  for (const f of frames) {
    const m = markerBurstForFrame(f.timeMs, 1000 / fps);
    // The frame was captured offsetMs after the burst: its presentation minus that is the burst's.
    if (m) video.set(m.burstStartMs, f.presentedMs - f.timeMs);
  }
  const out: AvBurst[] = [];
  for (const at of onsets) {
    const burstStartMs = Math.floor(at / periodMs) * periodMs;
    const videoMs = video.get(burstStartMs);
    if (videoMs === undefined) continue;
    const audioMs = at - burstStartMs;
    out.push({ burstStartMs, audioMs, videoMs, offsetMs: audioMs - videoMs });
  }
  return out;
}
