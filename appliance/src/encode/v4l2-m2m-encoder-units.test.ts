import { describe, expect, it } from 'vitest';
import { classifyPayload, parseFwhtHeader, toAccessUnit } from './v4l2-m2m-encoder-units.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// SPS (67 …), PPS (68 …), IDR slice (65 …) as an encoder writes them: 4-byte start codes, then a 3-byte one.
const idrAu = hex('00000001 6742c01f 00000001 68ce3c80 000001 65888400 ff');
const pSlice = hex('00000001 419a0020');

/** A vicodec FWHT header: magic, version 3, 640x480, flags, colorspace…quantization, size. */
function fwht(iFrame: boolean): Buffer {
  const h = Buffer.alloc(44 + 4);
  h.writeUInt32BE(0x4f4f4f4f, 0);
  h.writeUInt32BE(0xffffffff, 4);
  h.writeUInt32BE(3, 8);
  h.writeUInt32BE(640, 12);
  h.writeUInt32BE(480, 16);
  h.writeUInt32BE((iFrame ? 1 << 10 : 0) | (2 << 16) | (1 << 19), 20);
  h.writeUInt32BE(4, 40);
  return h;
}

describe('FWHT header and access units', () => {
  it('parses the header and the I-frame flag', () => {
    expect(parseFwhtHeader(fwht(true))).toMatchObject({ version: 3, width: 640, height: 480, size: 4, iFrame: true });
    expect(parseFwhtHeader(fwht(false))?.iFrame).toBe(false);
    expect(parseFwhtHeader(Buffer.alloc(44))).toBeUndefined();
  });
  it.each([
    ['h264 IDR unit', 'h264' as const, idrAu, true, 3],
    ['h264 P unit', 'h264' as const, pSlice, false, 1],
    ['fwht I-frame, one opaque unit', 'fwht' as const, fwht(true), true, 1],
    ['fwht P-frame', 'fwht' as const, fwht(false), false, 1],
  ])('%s', (_n, codec, payload, keyframe, n) => {
    const au = toAccessUnit(codec, payload, { seq: 7, captureTimeMs: 1234.5 });
    expect(au).toMatchObject({ keyframe, seq: 7, captureTimeMs: 1234.5 });
    expect(au!.nalus).toHaveLength(n);
  });
  it('empty payload → no unit', () => expect(toAccessUnit('fwht', Buffer.alloc(0), { seq: 0, captureTimeMs: 0 })).toBeUndefined());
});

describe('classifyPayload: headers-only buffers are held for the next picture', () => {
  it.each([
    ['SPS+PPS alone (bcm2835-codec before the first IDR)', hex('00000001 6742c01f 00000001 68ce3c80'), 'headers'],
    ['SPS+PPS+IDR', idrAu, 'picture'],
    ['P slice', pSlice, 'picture'],
    ['empty', Buffer.alloc(0), 'empty'],
  ])('%s → %s', (_n, payload, kind) => expect(classifyPayload('h264', payload).kind).toBe(kind));

  it('held headers go in front of the next picture', () => {
    const held = classifyPayload('h264', hex('00000001 6742c01f 00000001 68ce3c80')).nalus;
    const au = toAccessUnit('h264', hex('00000001 65888400'), { seq: 0, captureTimeMs: 0 }, held);
    expect(au!.nalus.map((n) => n[0])).toEqual([0x67, 0x68, 0x65]);
    expect(au!.keyframe).toBe(true);
  });
  it('copies the NAL units out of the driver buffer (it is requeued at once)', () => {
    const src = Buffer.from(idrAu);
    const { nalus } = classifyPayload('h264', src);
    src.fill(0);
    expect(nalus.map((n) => n.toString('hex'))).toEqual(['6742c01f', '68ce3c80', '65888400ff']);
  });
  it('a headers-only buffer is no unit on its own', () => {
    expect(toAccessUnit('h264', hex('00000001 6742c01f'), { seq: 0, captureTimeMs: 0 })).toBeUndefined();
  });
});
