import { describe, expect, it } from 'vitest';
import type { AccessUnit } from '../media/access-unit.js';
import { StreamHub, type StreamUnit } from './stream-hub.js';

const SPS = Buffer.from('6742c01fda0140016e84000003000400000300f23c60ca80', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
let seq = 0;
function au(keyframe: boolean, sliceBytes = 100, t = seq * (1000 / 30)): AccessUnit {
  const slice = Buffer.alloc(sliceBytes, 0xab);
  slice[0] = keyframe ? 0x65 : 0x41;
  return { nalus: keyframe ? [SPS, PPS, slice] : [slice], keyframe, captureTimeMs: t, seq: seq++ };
}

/** A hub on a fake clock with manual timers. */
function fixture(viewerQueueFrames = 4) {
  let now = 0;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  let requests = 0;
  const hub = new StreamHub({
    viewerQueueFrames,
    requestKeyframe: () => { requests++; },
    now: () => now,
    setTimer: (fn, ms) => {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return () => { t.live = false; };
    },
  });
  const advance = (ms: number): void => {
    now += ms;
    for (const t of timers.filter((x) => x.live && x.at <= now)) { t.live = false; t.fn(); }
  };
  return { hub, advance, requests: () => requests };
}

describe('StreamHub', () => {
  it('a new reader triggers one keyframe request and gets units from the next IDR', () => {
    const f = fixture();
    const got: StreamUnit[] = [];
    f.hub.addReader({ write: (u) => { got.push(u); } });
    expect(f.requests()).toBe(1);
    f.hub.publish(au(false));
    f.hub.publish(au(true));
    f.hub.publish(au(false));
    expect(got.map((u) => u.keyframe)).toEqual([true, false]);
  });

  it('packetizes once: every reader receives the same unit object', () => {
    const f = fixture();
    const a: StreamUnit[] = [];
    const b: StreamUnit[] = [];
    f.hub.addReader({ write: (u) => { a.push(u); } });
    f.hub.addReader({ write: (u) => { b.push(u); } });
    f.hub.publish(au(true, 5000));
    expect(a[0]).toBe(b[0]);
    expect(a[0]!.packets.length).toBeGreaterThan(1);
    expect(a[0]!.packets.at(-1)!.marker).toBe(true);
  });

  it('sequence numbers continue across units and timestamps follow capture time at 90 kHz', () => {
    const f = fixture();
    const got: StreamUnit[] = [];
    f.hub.addReader({ write: (u) => { got.push(u); } });
    f.hub.publish(au(true, 5000, 1000));
    f.hub.publish(au(false, 100, 1100));
    const [a, b] = got as [StreamUnit, StreamUnit];
    expect(b.firstSequenceNumber).toBe((a.firstSequenceNumber + a.packets.length) & 0xffff);
    expect((b.rtpTimestamp - a.rtpTimestamp + 2 ** 32) % 2 ** 32).toBe(9000);
  });

  it('coalesces keyframe requests to one per second, deferring the rest', () => {
    const f = fixture();
    const h1 = f.hub.addReader({ write: () => {} });
    const h2 = f.hub.addReader({ write: () => {} });
    h1.requestKeyframe();
    h2.requestKeyframe();
    expect(f.requests()).toBe(1);
    f.advance(999);
    expect(f.requests()).toBe(1);
    f.advance(1);
    expect(f.requests()).toBe(2);
    f.advance(5000);
    expect(f.requests()).toBe(2);
  });

  it('a keyframe published inside the window answers the deferred request', () => {
    const f = fixture();
    const h = f.hub.addReader({ write: () => {} });
    h.requestKeyframe();
    f.hub.publish(au(true));
    f.advance(2000);
    expect(f.requests()).toBe(1);
  });

  it('a slow reader drops to the next IDR, counts its losses and asks for a keyframe; a fast one loses nothing', async () => {
    const f = fixture(2);
    const slow: StreamUnit[] = [];
    const fast: StreamUnit[] = [];
    let release: () => void = () => {};
    const slowHandle = f.hub.addReader({
      write: (u) => { slow.push(u); return new Promise<void>((r) => { release = r; }); },
    });
    f.hub.addReader({ write: (u) => { fast.push(u); } });
    f.advance(1000); // the second reader's deferred request fires here
    f.advance(1000); // and its window passes
    const before = f.requests();
    f.hub.publish(au(true)); // slow: writing K (busy)
    f.hub.publish(au(false)); // queued 1
    f.hub.publish(au(false)); // queued 2
    f.hub.publish(au(false)); // overflow: 2 dropped + this one
    f.hub.publish(au(false)); // discarded while recovering
    expect(slowHandle.discardedFrames).toBe(4);
    expect(f.requests()).toBe(before + 1);
    f.hub.publish(au(true));
    release();
    await new Promise((r) => setImmediate(r));
    release();
    await new Promise((r) => setImmediate(r));
    expect(slow.map((u) => u.keyframe)).toEqual([true, true]);
    expect(fast).toHaveLength(6);
  });

  it('a removed reader receives nothing more', () => {
    const f = fixture();
    const got: StreamUnit[] = [];
    const h = f.hub.addReader({ write: (u) => { got.push(u); } });
    f.hub.publish(au(true));
    h.remove();
    h.remove();
    f.hub.publish(au(true));
    expect(got).toHaveLength(1);
    expect(f.hub.readerCount).toBe(0);
  });

  it('a reader that throws does not stop the others', () => {
    const f = fixture();
    const got: StreamUnit[] = [];
    f.hub.addReader({ write: () => { throw new Error('boom'); } });
    f.hub.addReader({ write: (u) => { got.push(u); } });
    f.hub.publish(au(true));
    f.hub.publish(au(false));
    expect(got).toHaveLength(2);
  });

  it('rejects a bad queue size at construction', () => {
    expect(() => new StreamHub({ viewerQueueFrames: 0, requestKeyframe: () => {} })).toThrow(RangeError);
  });
});
