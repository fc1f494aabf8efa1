import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FrameSink, ZeroCopySource } from '../capture/frame-source.js';
import type { EncoderSink, ZeroCopyEncoder } from '../encode/h264-encoder.js';
import type { AccessUnit } from '../media/access-unit.js';
import type { DmabufFrame, MappedFormat, ZeroCopyTarget } from '../media/dmabuf-frame.js';
import { i420Size, type RawFrame } from '../media/raw-frame.js';
import type { SourceCondition } from '../media/source-condition.js';
import { memoryLogger } from '../system/test/memory-logger.js';
import { VideoPipeline, type FrameFilter, type MappedFrameFilter } from './video-pipeline.js';

/**
 * The pipeline's fail-closed decisions, with a fake source and encoder: what reaches
 * encode() (a picture, or the slate saying why not), what goes by fd (encodeDmabuf), and
 * that every lent capture buffer is released exactly once. The real devices run the same
 * pipeline in hw-tests/zero-copy.hw.test.ts.
 */

const W = 64;
const H = 48;
const YU12: MappedFormat = { fourcc: 'YU12', width: W, height: H, bytesperline: W, sizeimage: i420Size(W, H) };

/** A source the test drives by hand; `lends` makes it a ZeroCopySource. */
class FakeSource implements ZeroCopySource {
  readonly kind = 'fake';
  readonly description = 'fake source';
  sink: FrameSink | undefined;
  target: ZeroCopyTarget | undefined;
  setZeroCopyTarget(t: ZeroCopyTarget | undefined): void {
    this.target = t;
  }
  start(sink: FrameSink): void {
    this.sink = sink;
  }
  async stop(): Promise<void> {}
}

/** An encoder that records what it is given; acceptsDmabuf answers `imports`. */
class FakeEncoder implements ZeroCopyEncoder {
  readonly name = 'fake-encoder';
  sink: EncoderSink | undefined;
  readonly encoded: RawFrame[] = [];
  readonly byFd: DmabufFrame[] = [];
  readonly asked: MappedFormat[] = [];
  constructor(private readonly imports = true) {}
  start(sink: EncoderSink): void {
    this.sink = sink;
  }
  encode(frame: RawFrame): void {
    this.encoded.push(frame);
  }
  acceptsDmabuf(format: MappedFormat): boolean {
    this.asked.push(format);
    return this.imports;
  }
  encodeDmabuf(frame: DmabufFrame): boolean {
    this.byFd.push(frame);
    return true;
  }
  requestKeyframe(): void {}
  async stop(): Promise<void> {}
}

const picture = (seq: number): RawFrame => ({ width: W, height: H, seq, captureTimeMs: 1000 + seq, data: Buffer.alloc(i420Size(W, H), 100) });

/** A lent capture buffer; counts its releases. */
function lent(seq: number): DmabufFrame & { releases: number } {
  const mapping = Buffer.alloc(i420Size(W, H), 100);
  const f = {
    width: W, height: H, seq, captureTimeMs: 2000 + seq, format: YU12,
    planes: [{ fd: 42, bytesused: mapping.length, length: mapping.length }],
    mapped: [mapping],
    data: mapping,
    releases: 0,
    release(): void {
      f.releases++;
    },
  };
  return f;
}

/** 'slate:<condition>' for a slate (its bytes spell the condition it shows), else 'frame:<seq>'. */
function describe_(f: RawFrame): string {
  return f.data.toString('latin1', 0, 6) === 'slate:' ? f.data.toString('latin1', 0, 24).replace(/\0+$/, '') : `frame:${f.seq}`;
}

function rig(o: { imports?: boolean; filter?: FrameFilter; mappedFilter?: MappedFrameFilter; plainSource?: boolean } = {}) {
  const source = new FakeSource();
  const encoder = new FakeEncoder(o.imports ?? true);
  const published: AccessUnit[] = [];
  const { logger, messages } = memoryLogger();
  const conditions: SourceCondition[] = [];
  const plain = o.plainSource ? { kind: source.kind, description: source.description, start: (s: FrameSink) => source.start(s), stop: () => source.stop() } : source;
  const pipeline = new VideoPipeline({
    source: plain,
    encoder,
    width: W,
    height: H,
    makeSlate: (condition, width, height, seq, timeMs) => {
      const data = Buffer.alloc(i420Size(width, height));
      data.write(`slate:${condition}`, 'latin1');
      return { width, height, seq, captureTimeMs: timeMs, data };
    },
    publish: (au) => void published.push(au),
    onCondition: (c) => void conditions.push(c),
    logger,
    ...(o.filter ? { filter: o.filter } : {}),
    ...(o.mappedFilter ? { mappedFilter: o.mappedFilter } : {}),
  });
  pipeline.start();
  return { source, encoder, pipeline, published, messages, conditions, sink: source.sink! };
}

const masks: FrameFilter = () => true;
const withholds: FrameFilter = () => false;
const masksMapping: MappedFrameFilter = () => true;
const withholdsMapping: MappedFrameFilter = () => false;

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('VideoPipeline: what reaches the encoder', () => {
  it.each([
    { name: 'before the source says anything: the no-device slate', drive: () => {}, want: ['slate:no-device'] },
    { name: 'a condition other than live: its slate', drive: (s: FrameSink) => s.onCondition('no-signal', 'cable'), want: ['slate:no-device', 'slate:no-signal'] },
    { name: 'a live frame: the frame itself', drive: (s: FrameSink) => s.onFrame(picture(0)), want: ['slate:no-device', 'frame:0'] },
    { name: 'live, then the signal goes: the slate again', drive: (s: FrameSink) => (s.onFrame(picture(0)), s.onCondition('no-sync')), want: ['slate:no-device', 'frame:0', 'slate:no-sync'] },
  ])('$name', ({ drive, want }) => {
    const r = rig();
    drive(r.sink);
    vi.advanceTimersByTime(150); // the slate ticks at 10 fps; a change shows from the next tick
    const seen = r.encoder.encoded.map(describe_);
    expect(seen.filter((x, i) => x !== seen[i - 1])).toEqual(want);
  });

  it('the slate repeats while the source is not live and stops once it is', () => {
    const r = rig();
    vi.advanceTimersByTime(1000);
    const whileDown = r.encoder.encoded.length;
    expect(whileDown).toBeGreaterThanOrEqual(10); // 10 fps slate
    r.sink.onFrame(picture(0));
    vi.advanceTimersByTime(1000);
    expect(r.encoder.encoded.length).toBe(whileDown + 1);
  });

  it.each([
    { name: 'a frame the filter passes is encoded (masked in place by the filter)', filter: masks, want: 'frame:0' },
    { name: 'a frame the filter withholds becomes the error slate', filter: withholds, want: 'slate:error' },
  ])('$name', ({ filter, want }) => {
    const r = rig({ filter, mappedFilter: masksMapping });
    r.sink.onFrame(picture(0));
    expect(describe_(r.encoder.encoded.at(-1)!)).toBe(want);
  });

  it('logs no source condition or encoder state itself: the source and the encoder log each once', () => {
    const r = rig();
    r.sink.onCondition('no-signal', 'cable');
    r.sink.onFrame(picture(0));
    r.encoder.sink!.onState('restarting', 'device error');
    r.encoder.sink!.onState('running');
    expect(r.messages()).toEqual([]);
    expect(r.pipeline.status()).toMatchObject({ source: { condition: 'live' }, encoder: { state: 'running' } });
  });

  it('tells the cart each change of condition once, and a frame counts as live', () => {
    const r = rig();
    r.sink.onCondition('no-signal');
    r.sink.onCondition('no-signal');
    r.sink.onFrame(picture(0));
    r.sink.onFrame(picture(1));
    expect(r.conditions).toEqual(['no-signal', 'live']);
  });
});

describe('VideoPipeline: zero copy only where masking allows it', () => {
  it.each([
    { name: 'no masking, the encoder imports the layout: yes', o: { imports: true }, accepts: true },
    { name: 'masking in place on the mapping, the encoder imports it: yes', o: { imports: true, filter: masks, mappedFilter: masksMapping }, accepts: true },
    { name: 'the encoder does not import the layout: no', o: { imports: false }, accepts: false },
    { name: 'a mask filter without an in-place hook: no, whatever the encoder says', o: { imports: true, filter: masks }, accepts: false },
  ])('$name', ({ o, accepts }) => {
    const r = rig(o);
    expect(r.source.target, 'the source was given the gate').toBeDefined();
    expect(r.source.target!.accepts(YU12)).toBe(accepts);
  });

  it('the encoder is not even asked while a mask cannot be applied to the mapping', () => {
    const r = rig({ filter: masks });
    r.source.target!.accepts(YU12);
    expect(r.encoder.asked).toEqual([]);
    expect(r.messages().filter((l) => l.startsWith('PHI masking has no in-place hook'))).toHaveLength(1);
  });

  it('a source that cannot lend buffers is never given a target', () => {
    const r = rig({ plainSource: true });
    expect(r.source.target).toBeUndefined();
  });
});

describe('VideoPipeline: a lent capture buffer is released exactly once on every path', () => {
  it.each([
    { name: 'masked in place and encoded by fd (the encoder releases it)', o: { filter: masks, mappedFilter: masksMapping }, byFd: 1, last: 'none', releasedByPipeline: 0 },
    { name: 'no masking, encoded by fd', o: {}, byFd: 1, last: 'none', releasedByPipeline: 0 },
    { name: 'the mapping filter withholds it: the error slate instead', o: { filter: masks, mappedFilter: withholdsMapping }, byFd: 0, last: 'slate:error', releasedByPipeline: 1 },
    { name: 'lent although a mask filter has no in-place hook: copied, masked as I420, released', o: { filter: masks }, byFd: 0, last: 'frame:7', releasedByPipeline: 1 },
    { name: 'lent although the encoder does not import it: copied, released', o: { imports: false }, byFd: 0, last: 'frame:7', releasedByPipeline: 1 },
  ])('$name', ({ o, byFd, last, releasedByPipeline }) => {
    const r = rig(o);
    const before = r.encoder.encoded.length;
    const f = lent(7);
    r.sink.onFrame(f);
    expect(r.encoder.byFd).toHaveLength(byFd);
    if (byFd) expect(r.encoder.byFd[0]).toBe(f); // the very object the source lent: no translation
    const after = r.encoder.encoded.slice(before);
    expect(after.map(describe_).at(-1) ?? 'none').toBe(last);
    if (last.startsWith('frame')) expect(isCopy(after.at(-1)!, f)).toBe(true);
    expect(f.releases).toBe(releasedByPipeline);
    // The encoder's half of the contract: it releases what it took by fd, once.
    for (const taken of r.encoder.byFd) taken.release();
    expect(f.releases).toBe(1);
  });

  it('a frame that arrives after stop() is released and not encoded', async () => {
    const r = rig();
    await r.pipeline.stop();
    const f = lent(1);
    const before = r.encoder.encoded.length;
    r.sink.onFrame(f);
    expect(f.releases).toBe(1);
    expect(r.encoder.encoded.length).toBe(before);
    expect(r.encoder.byFd).toHaveLength(0);
  });
});

/** A plain RawFrame with the lent frame's picture and clock, not the DmabufFrame itself. */
function isCopy(x: RawFrame, f: DmabufFrame): boolean {
  return x !== f && !('release' in x) && x.seq === f.seq && x.captureTimeMs === f.captureTimeMs && x.data.equals(f.data);
}
