import { describe, expect, it } from 'vitest';
import { isSlice, joinAnnexB, nalType, NalType, readSpsProfile, splitAnnexB } from './annex-b.js';

// Real bytes: SPS/PPS as produced by x264 (Constrained Baseline, level 3.1, 1280x720).
const SPS = Buffer.from('6742c01fda0140016e84000003000400000300f23c60ca80', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const IDR = Buffer.from('65888400ffd2b0', 'hex');
const hex = (b: Buffer[]): string[] => b.map((x) => x.toString('hex'));

describe('splitAnnexB', () => {
  const cases: { name: string; input: string; want: string[] }[] = [
    { name: 'empty input', input: '', want: [] },
    { name: 'no start code', input: '6742c01f', want: [] },
    { name: 'one NAL, 4-byte start code', input: '000000016742c01f', want: ['6742c01f'] },
    { name: 'one NAL, 3-byte start code', input: '0000016742c01f', want: ['6742c01f'] },
    { name: 'mixed start codes', input: '00000001670102000001680304' + '0000000165aabb', want: ['670102', '680304', '65aabb'] },
    { name: 'trailing zero bytes dropped', input: '0000000167010200000000000168aa0000', want: ['670102', '68aa'] },
    { name: 'junk before first start code ignored', input: 'ffee000001650102', want: ['650102'] },
    { name: 'emulation prevention bytes kept (00 00 03 is not a start code)', input: '00000165000003010203', want: ['65000003010203'] },
    { name: 'empty NAL between start codes skipped', input: '000001000001650a', want: ['650a'] },
    { name: 'single byte NAL (end of sequence)', input: '000000010a', want: ['0a'] },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    expect(hex(splitAnnexB(Buffer.from(input, 'hex')))).toEqual(want);
  });

  it('round-trips real SPS/PPS/IDR through joinAnnexB', () => {
    expect(hex(splitAnnexB(joinAnnexB([SPS, PPS, IDR])))).toEqual(hex([SPS, PPS, IDR]));
  });

  it('returns views, not copies', () => {
    const data = joinAnnexB([IDR]);
    expect(splitAnnexB(data)[0]!.buffer).toBe(data.buffer);
  });
});

describe('nal types', () => {
  it.each([
    ['SPS', SPS, NalType.sps],
    ['PPS', PPS, NalType.pps],
    ['IDR', IDR, NalType.idr],
    ['non-IDR slice', Buffer.from([0x41, 0x9a]), NalType.slice],
    ['empty', Buffer.alloc(0), -1],
  ] as const)('%s', (_name, nal, type) => {
    expect(nalType(nal)).toBe(type);
  });
});

describe('isSlice: a coded slice makes a unit a picture', () => {
  it.each([
    ['IDR', IDR, true],
    ['non-IDR slice', Buffer.from([0x41, 0x9a]), true],
    ['SPS', SPS, false],
    ['PPS', PPS, false],
    ['SEI', Buffer.from([0x06, 0x05]), false],
    ['empty', Buffer.alloc(0), false],
  ] as const)('%s', (_name, nal, slice) => expect(isSlice(nal)).toBe(slice));
});

describe('readSpsProfile', () => {
  it('reads x264 Constrained Baseline 3.1 (42c01f)', () => {
    expect(readSpsProfile(SPS)).toEqual({
      profileIdc: 66, constraintFlags: 0xc0, levelIdc: 31, profileLevelId: '42c01f', constrainedBaseline: true,
    });
  });
  it.each([
    ['42e01f Constrained Baseline (set1 set)', '6742e01f', true],
    ['42001f plain Baseline', '6742001f', false],
    ['64001f High', '6764001f', false],
    ['4d401f Main', '674d401f', false],
  ])('%s', (_name, bytes, cb) => {
    expect(readSpsProfile(Buffer.from(bytes, 'hex')).constrainedBaseline).toBe(cb);
  });
  it('rejects a PPS', () => {
    expect(() => readSpsProfile(PPS)).toThrow(/expected an SPS/);
  });
  it('rejects a truncated SPS', () => {
    expect(() => readSpsProfile(Buffer.from('6742', 'hex'))).toThrow(/too short/);
  });
});
