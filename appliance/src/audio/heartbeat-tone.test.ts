import { describe, expect, it } from 'vitest';
import { AUDIO_FRAME_SAMPLES } from './audio-frame.js';
import { burstStartAtOrBefore, HEARTBEAT, inBurst, markerBurstForFrame } from '../media/heartbeat-schedule.js';
import { renderHeartbeat } from './heartbeat-tone.js';

const T = 1_764_000_000_000; // a multiple of 500 ms: a burst starts here

describe('heartbeat schedule', () => {
  it.each([
    [T, true], [T + 39.9, true], [T + 40, false], [T + 499.9, false], [T + 500, true], [T - 0.1, false],
  ])('inBurst(%d) = %s', (t, on) => expect(inBurst(t)).toBe(on));

  it('bursts start on multiples of the period on the capture clock', () => {
    expect(burstStartAtOrBefore(T + 123)).toBe(T);
    expect(burstStartAtOrBefore(T + 500)).toBe(T + 500);
  });

  it('exactly one frame per burst is the marker, at 30 and 25 fps, from any phase', () => {
    for (const fps of [30, 25]) {
      const interval = 1000 / fps;
      for (const phase of [0, 3.7, 16.6, 16.7, 29.9]) {
        const markers = [];
        for (let k = 0; k < fps * 4; k++) {
          const m = markerBurstForFrame(T + phase + k * interval, interval);
          if (m) markers.push(m);
        }
        expect(markers.length, `fps ${fps} phase ${phase}`).toBe(8); // 4 s × 2 Hz
        for (const m of markers) expect(Math.abs(m.offsetMs)).toBeLessThanOrEqual(interval / 2);
        expect(new Set(markers.map((m) => m.burstStartMs)).size).toBe(8);
      }
    }
  });

  it('renders 1 kHz from phase 0 at the burst start, silence between bursts', () => {
    const pcm = renderHeartbeat(T - 10, AUDIO_FRAME_SAMPLES * 50); // 1 s from 10 ms before a burst
    const at = (ms: number): number => pcm.readInt16LE(Math.round((ms + 10) * 48) * 2);
    expect(at(-5)).toBe(0);
    expect(at(0)).toBe(0); // phase 0 (and the 1 ms ramp)
    // A quarter period (0.25 ms) after 2 ms: the sine's crest, at half of full scale.
    expect(at(2.25)).toBeGreaterThan(0.49 * 32767);
    expect(at(2.75)).toBeLessThan(-0.49 * 32767);
    let loud = 0;
    for (let i = 0; i < pcm.length / 2; i++) if (pcm.readInt16LE(i * 2) !== 0) loud++;
    // 2 bursts in the second (at T and T + 500), 40 ms each, minus zero crossings.
    expect(loud / 48).toBeGreaterThan(2 * 38);
    expect(loud / 48).toBeLessThanOrEqual(2 * HEARTBEAT.burstMs);
  });
});
