/**
 * Linux input events (include/uapi/linux/input.h), 64-bit layout as read from
 * /dev/input/eventN on arm64 and x86-64:
 *
 *   offset  size  field
 *   0       8     time.tv_sec   (s64)
 *   8       8     time.tv_usec  (s64)
 *   16      2     type          (u16)   EV_SYN 0, EV_KEY 1, ...
 *   18      2     code          (u16)   KEY_ENTER 28, BTN_0 0x100, ...
 *   20      4     value         (s32)   for EV_KEY: 0 release, 1 press, 2 autorepeat
 *
 * All little-endian on the boards sonobox runs on. A read() may return any number of
 * bytes in tests (FIFO) so the parser keeps the tail of a split event for the next chunk.
 */
export const inputEventSize = 24;

export const EV_SYN = 0;
export const EV_KEY = 1;

/** Key codes from input-event-codes.h that make sense for the cart button. */
export const keyCodes = {
  KEY_ENTER: 28,
  KEY_SPACE: 57,
  KEY_F13: 183,
  BTN_0: 0x100,
  BTN_LEFT: 0x110,
} as const;

/** EV_KEY values. */
export const KeyValue = { release: 0, press: 1, repeat: 2 } as const;

export interface InputEvent {
  readonly seconds: number;
  readonly microseconds: number;
  readonly type: number;
  readonly code: number;
  readonly value: number;
}

/** Decodes one 24-byte input_event at `offset`. */
export function decodeInputEvent(bytes: Uint8Array, offset = 0): InputEvent {
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, inputEventSize);
  return {
    seconds: Number(v.getBigInt64(0, true)),
    microseconds: Number(v.getBigInt64(8, true)),
    type: v.getUint16(16, true),
    code: v.getUint16(18, true),
    value: v.getInt32(20, true),
  };
}

/** Encodes one input_event (tests, the FIFO button's writers, uinput). */
export function encodeInputEvent(e: InputEvent): Buffer {
  const b = Buffer.alloc(inputEventSize);
  b.writeBigInt64LE(BigInt(e.seconds), 0);
  b.writeBigInt64LE(BigInt(e.microseconds), 8);
  b.writeUInt16LE(e.type, 16);
  b.writeUInt16LE(e.code, 18);
  b.writeInt32LE(e.value, 20);
  return b;
}

/** InputEventParser turns a byte stream split anywhere into whole events. */
export class InputEventParser {
  private pending: Buffer = Buffer.alloc(0);

  processInput(chunk: Uint8Array): InputEvent[] {
    const bytes = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
    const whole = bytes.length - (bytes.length % inputEventSize);
    const out: InputEvent[] = [];
    for (let o = 0; o < whole; o += inputEventSize) out.push(decodeInputEvent(bytes, o));
    this.pending = Buffer.from(bytes.subarray(whole));
    return out;
  }

  /** Drops a partial event (after the device was reopened). */
  reset(): void {
    this.pending = Buffer.alloc(0);
  }
}
