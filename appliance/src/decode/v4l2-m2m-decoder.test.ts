import { describe, expect, it } from 'vitest';
import { transition, visibleSize, type DecoderEvent, type DecoderState } from './v4l2-m2m-decoder.js';

/** The decoder lifecycle (dev-decoder.rst, collapsed). The device flow runs in hw-tests/decoder.hw.test.ts. */
describe('decoder transition()', () => {
  it.each<[string, DecoderState, DecoderEvent, DecoderState]>([
    ['the first SOURCE_CHANGE is handled by setting up CAPTURE', 'awaiting-format', 'capture-ready', 'decoding'],
    ['a later SOURCE_CHANGE drains CAPTURE first', 'decoding', 'source-change', 'changing-resolution'],
    ['the LAST buffer of a resolution change: set up again', 'changing-resolution', 'last-buffer', 'awaiting-format'],
    ['…and decoding resumes', 'changing-resolution', 'capture-ready', 'decoding'],
    ['stop() drains', 'decoding', 'stop', 'draining'],
    ['the LAST buffer of a drain ends it', 'draining', 'last-buffer', 'stopped'],
    ['a stray LAST while decoding changes nothing', 'decoding', 'last-buffer', 'decoding'],
    ['a source change while awaiting the format is not a resolution change', 'awaiting-format', 'source-change', 'awaiting-format'],
    ['errors fail any live state', 'changing-resolution', 'error', 'failed'],
    ['stopped stays stopped, even on error', 'stopped', 'error', 'stopped'],
    ['failed stays failed', 'failed', 'capture-ready', 'failed'],
    ['closing ends a drain', 'draining', 'closed', 'stopped'],
  ])('%s', (_n, from, event, to) => expect(transition(from, event)).toBe(to));
});

describe('visibleSize(coded CAPTURE size, expected size)', () => {
  it.each([
    ['exact', [640, 480], [640, 480], [640, 480]],
    ['bcm2835-codec pads 1080 rows to 1088', [1920, 1088], [1920, 1080], [1920, 1080]],
    ['vicodec pads 360 to 368', [640, 368], [640, 360], [640, 360]],
    ['a larger stream is a real resolution change', [1280, 720], [640, 480], [1280, 720]],
    ['a smaller stream too', [640, 368], [1280, 720], [640, 368]],
  ] as const)('%s', (_n, [cw, ch], [ew, eh], [w, h]) => {
    expect(visibleSize({ width: cw, height: ch }, { width: ew, height: eh })).toEqual({ width: w, height: h });
  });
});
