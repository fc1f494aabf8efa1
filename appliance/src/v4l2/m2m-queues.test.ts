import { describe, expect, it } from 'vitest';
import { assertLp64 } from './m2m-device.js';
import { bufTypes, m2mPlanes } from './m2m-queues.js';
import { vd } from './v4l2-binding.js';

describe('which buffer API a node speaks', () => {
  it.each([
    ['VIDEO_M2M_MPLANE (bcm2835-codec)', vd.V4L2_CAP_VIDEO_M2M_MPLANE | vd.V4L2_CAP_STREAMING, 'multi'],
    ['VIDEO_M2M (vicodec by default)', vd.V4L2_CAP_VIDEO_M2M | vd.V4L2_CAP_STREAMING, 'single'],
    ['separate multi-planar capture and output caps', vd.V4L2_CAP_VIDEO_CAPTURE_MPLANE | vd.V4L2_CAP_VIDEO_OUTPUT_MPLANE, 'multi'],
    ['separate single-planar capture and output caps', vd.V4L2_CAP_VIDEO_CAPTURE | vd.V4L2_CAP_VIDEO_OUTPUT, 'single'],
    ['a capture-only node (a dongle) is no M2M node', vd.V4L2_CAP_VIDEO_CAPTURE | vd.V4L2_CAP_STREAMING, undefined],
  ] as const)('%s', (_n, caps, want) => expect(m2mPlanes(caps)).toBe(want));

  it('queue buffer types per API', () => {
    expect(bufTypes('multi')).toEqual({ output: 10, capture: 9 });
    expect(bufTypes('single')).toEqual({ output: 2, capture: 1 });
  });

  it('refuses 32-bit user space, saying what to use', () => {
    expect(() => assertLp64('arm')).toThrow(/64-bit OS image/);
    expect(() => assertLp64('arm64')).not.toThrow();
    expect(() => assertLp64('x64')).not.toThrow();
  });
});
