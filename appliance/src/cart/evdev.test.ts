import { describe, expect, it } from 'vitest';
import type { InputEvent } from './evdev.js';
import { decodeInputEvent, encodeInputEvent, EV_KEY, EV_SYN, InputEventParser, inputEventSize, keyCodes } from './evdev.js';

// One press of Enter on a USB keyboard as the kernel reports it (hid-input): a scan code,
// the key, a sync report. 64-bit struct input_event, little-endian.
const enterPress = Buffer.from(
  [
    // tv_sec=1732354176      tv_usec=123456          type=EV_MSC code=MSC_SCAN value=0x70028
    '80a0416700000000' + '40e2010000000000' + '0400' + '0400' + '28000700',
    //                                              type=EV_KEY code=KEY_ENTER value=1 (press)
    '80a0416700000000' + '40e2010000000000' + '0100' + '1c00' + '01000000',
    //                                              type=EV_SYN code=SYN_REPORT value=0
    '80a0416700000000' + '40e2010000000000' + '0000' + '0000' + '00000000',
  ].join(''),
  'hex',
);

const want: InputEvent[] = [
  { seconds: 1732354176, microseconds: 123456, type: 4, code: 4, value: 0x70028 },
  { seconds: 1732354176, microseconds: 123456, type: EV_KEY, code: keyCodes.KEY_ENTER, value: 1 },
  { seconds: 1732354176, microseconds: 123456, type: EV_SYN, code: 0, value: 0 },
];

describe('decodeInputEvent', () => {
  it('reads the 24-byte 64-bit layout', () => {
    expect(enterPress.length).toBe(3 * inputEventSize);
    expect([0, 24, 48].map((o) => decodeInputEvent(enterPress, o))).toEqual(want);
  });
  it('reads a negative value (s32) and round-trips through encodeInputEvent', () => {
    const e: InputEvent = { seconds: 5, microseconds: 999_999, type: 3, code: 0, value: -42 };
    expect(decodeInputEvent(encodeInputEvent(e))).toEqual(e);
    expect(encodeInputEvent(e).subarray(20).toString('hex')).toBe('d6ffffff');
  });
});

describe('InputEventParser: chunks split anywhere', () => {
  const splits: { name: string; cuts: number[] }[] = [
    { name: 'one chunk', cuts: [] },
    { name: 'event boundaries', cuts: [24, 48] },
    { name: 'inside the timeval', cuts: [5] },
    { name: 'inside type/code', cuts: [17, 43] },
    { name: 'byte by byte', cuts: Array.from({ length: 71 }, (_, i) => i + 1) },
  ];
  for (const s of splits) {
    it(s.name, () => {
      const parser = new InputEventParser();
      const got: InputEvent[] = [];
      let from = 0;
      for (const cut of [...s.cuts, enterPress.length]) {
        got.push(...parser.processInput(enterPress.subarray(from, cut)));
        from = cut;
      }
      expect(got).toEqual(want);
    });
  }
  it('reset() drops a partial event', () => {
    const parser = new InputEventParser();
    expect(parser.processInput(enterPress.subarray(0, 10))).toEqual([]);
    parser.reset();
    expect(parser.processInput(enterPress.subarray(24, 48))).toEqual([want[1]]);
  });
});
