import { describe, expect, it } from 'vitest';
import type { EncoderState } from '../media/encoder-settings.js';
import { V4l2M2mEncoder } from './v4l2-m2m-encoder.js';

const settings = { width: 640, height: 480, fps: 30, bitrateBps: 1_000_000, keyframeInterval: 30 };
const frame = { width: 640, height: 480, data: Buffer.alloc(640 * 480 * 1.5), seq: 0, captureTimeMs: 0 };

/** Host-side behaviour that needs no codec: the real flow runs in hw-tests/encoder.hw.test.ts. */
describe('V4l2M2mEncoder without a usable device', () => {
  it.each([
    ['a missing node', '/nonexistent/sonobox-encoder', /open on \/nonexistent\/sonobox-encoder: ENOENT/],
    ['a node that is no V4L2 device (libv4l2 queries caps while opening)', '/dev/null', /open on \/dev\/null: ENOTTY/],
  ])('%s → restarting with a reason, retried with back-off, frames dropped and counted', async (_n, device, reason) => {
    const states: [EncoderState, string | undefined][] = [];
    const enc = new V4l2M2mEncoder({ device, settings, backoff: { initialMs: 20, maxMs: 40, healthyResetMs: 10_000 } });
    enc.start({ onAccessUnit: () => expect.fail('no unit expected'), onState: (s, d) => states.push([s, d]) });
    expect(states[0]![0]).toBe('restarting');
    expect(states[0]![1]).toMatch(reason);
    expect(states[0]![1]).toMatch(/reopening .* in 20 ms/);
    enc.encode(frame);
    expect(enc.stats.framesDropped).toBe(1);
    await new Promise((r) => setTimeout(r, 120));
    expect(enc.stats.restarts).toBeGreaterThanOrEqual(2); // it kept trying
    expect(states.at(-1)![1]).toMatch(/in 40 ms/); // doubling, capped at maxMs
    await enc.stop();
    expect(states.at(-1)![0]).toBe('stopped');
    const n = enc.stats.restarts;
    await new Promise((r) => setTimeout(r, 60));
    expect(enc.stats.restarts).toBe(n); // stop() cancelled the retry timer
  });

  it('is named after the node until it has opened one', () => {
    expect(new V4l2M2mEncoder({ device: '/dev/video11', settings }).name).toBe('v4l2-m2m:video11');
  });
});
