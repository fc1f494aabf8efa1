/**
 * npm run bench:hw — the V4L2 path on whatever device this runs on: capture fps, encode
 * time per frame (queue→dequeue on the M2M encoder), and end-to-end frame→packet latency
 * (the buffer's capture timestamp → the unit's RTP packets leaving StreamHub's packetizer
 * for a reader), through the real VideoPipeline, with the zero-copy path and the copy path.
 *
 * Devices: the capture node is vivid if loaded, else the dongle (stable name or UVC scan);
 * the encoder is the board's H.264 encoder if the board probe finds one, else vicodec's
 * FWHT encoder (the emulated guest). FWHT is not H.264: its numbers measure the plumbing.
 *
 * Usage: tsx bench/hw-bench.ts [--seconds 10] [--size 640x480] [--fps 30] [--paths zero-copy,copy]
 * Prints one human line per path and a JSON line (`HW_BENCH {...}`) for tools.
 */
import { renderSlate } from '../appliance/src/capture/slate.js';
import { V4l2Source } from '../appliance/src/capture/v4l2-source.js';
import { probeBoard } from '../appliance/src/encode/board-probe.js';
import type { EncoderSettings } from '../appliance/src/media/encoder-settings.js';
import { V4l2M2mEncoder } from '../appliance/src/encode/v4l2-m2m-encoder.js';
import { VideoPipeline } from '../appliance/src/pipeline/video-pipeline.js';
import { captureClockMs } from '../appliance/src/media/raw-frame.js';
import { StreamHub } from '../appliance/src/stream/stream-hub.js';
import { findCaptureDevice, listVideoNodes, pickCaptureNodes } from '../appliance/src/v4l2/v4l2-discovery.js';
import { nodeNamed } from '../appliance/src/v4l2/v4l2-discovery.js';
import { createLogger } from '../appliance/src/system/logger.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const seconds = Number(opt('seconds', '10'));
const [width, height] = opt('size', '640x480').split('x').map(Number) as [number, number];
const fps = Number(opt('fps', '30'));
const paths = opt('paths', 'zero-copy,copy').split(',') as ('zero-copy' | 'copy')[];
const WARMUP_MS = 2000;


const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
};

interface PathResult {
  path: string;
  captureFps: number;
  frames: number;
  units: number;
  encodeMedianMs: number;
  encodeP95Ms: number;
  latencyMedianMs: number;
  latencyP95Ms: number;
  dropped: number;
  zeroCopyLoaned: number;
}

async function runPath(path: 'zero-copy' | 'copy', capture: string, encoderDevice: string, codec: 'h264' | 'fwht'): Promise<PathResult> {
  // The box's own redacting logger, to stderr, tagged with the path measured.
  const log = createLogger({ destination: { write: (line: string) => void process.stderr.write(line) } }).child({ c: path });
  const settings: EncoderSettings = { width, height, fps, bitrateBps: 4_000_000, keyframeInterval: fps * 2 };
  const source = new V4l2Source({ device: capture, width, height, fps, logger: log, ...(vividLoaded ? { input: 0 } : {}) });
  const encoder = new V4l2M2mEncoder({ device: encoderDevice, codec, settings, logger: log });
  const latencies: number[] = [];
  let measuring = false;
  let units = 0;
  let hub: StreamHub | undefined;
  const pipeline = new VideoPipeline({
    source,
    encoder,
    width,
    height,
    makeSlate: (condition, w, h, seq, timeMs) => ({ width: w, height: h, seq, captureTimeMs: timeMs, data: renderSlate(w, h, condition, { seq, timeMs }) }),
    publish: (au) => hub?.publish(au),
    logger: log,
    // The copy path is what runs while masking has no in-place hook: a pass-through filter forces it.
    ...(path === 'copy' ? { filter: () => true } : {}),
  });
  hub = new StreamHub({ viewerQueueFrames: 30, requestKeyframe: () => pipeline.requestKeyframe() });
  hub.addReader({
    write: (unit) => {
      // The reader is handed the unit's packets the moment the packetizer has made them.
      if (!measuring || unit.packets.length === 0) return;
      units++;
      latencies.push(captureClockMs() - unit.captureTimeMs);
    },
  });
  pipeline.start();
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const frames0 = pipeline.status().framesIn;
  const t0 = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const frames = pipeline.status().framesIn - frames0;
  const elapsed = (performance.now() - t0) / 1000;
  await pipeline.stop();
  hub.close();
  const enc = encoder.stats.encodeMs;
  return {
    path,
    captureFps: frames / elapsed,
    frames,
    units,
    encodeMedianMs: pct(enc, 0.5),
    encodeP95Ms: pct(enc, 0.95),
    latencyMedianMs: pct(latencies, 0.5),
    latencyP95Ms: pct(latencies, 0.95),
    dropped: encoder.stats.framesDropped,
    zeroCopyLoaned: source.zeroCopyStats.loaned,
  };
}

const vividLoaded = pickCaptureNodes(listVideoNodes(), ['vivid']).length > 0;

async function main(): Promise<number> {
  const capture = pickCaptureNodes(listVideoNodes(), ['vivid'])[0]?.path ?? findCaptureDevice();
  const probe = await probeBoard('/');
  const h264 = probe.encoder.kind === 'v4l2-m2m' ? probe.encoder.device : undefined;
  const fwht = nodeNamed('stateful-encoder');
  const encoderDevice = h264 ?? fwht;
  if (!capture || !encoderDevice) {
    console.log(`skipped: no device (capture: ${capture ?? 'none'}; encoder: ${probe.encoder.reason}${fwht ? '' : ', no vicodec'})`);
    return 2;
  }
  const codec = h264 ? 'h264' : 'fwht';
  const where = `${probe.board}${process.env.HW_EMULATED === '1' ? ' (QEMU TCG guest)' : ''}`;
  console.log(`hw bench on ${where}: capture ${capture}${vividLoaded ? ' (vivid)' : ''}, encoder ${encoderDevice} (${codec}), ${width}x${height}@${fps}, ${seconds} s per path after ${WARMUP_MS / 1000} s warm-up`);
  const results: PathResult[] = [];
  for (const p of paths) {
    const r = await runPath(p, capture, encoderDevice, codec);
    results.push(r);
    console.log(
      `${p.padEnd(9)}  capture ${r.captureFps.toFixed(1)} fps | encode queue→dequeue median ${r.encodeMedianMs.toFixed(1)} ms, p95 ${r.encodeP95Ms.toFixed(1)} ms | ` +
        `capture→packets median ${r.latencyMedianMs.toFixed(1)} ms, p95 ${r.latencyP95Ms.toFixed(1)} ms | ${r.units} units, ${r.dropped} dropped at the encoder, ${r.zeroCopyLoaned} frames by DMABUF`,
    );
  }
  console.log(`HW_BENCH ${JSON.stringify({ board: probe.board, emulated: process.env.HW_EMULATED === '1', capture, encoder: encoderDevice, codec, width, height, fps, seconds, results })}`);
  return 0;
}

process.exitCode = await main();
