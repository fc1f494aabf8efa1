/**
 * Which FrameSource the box reads, from `source.spec` and what is plugged in, with the
 * reason for the log and /api/status. Device paths come from the discovery roots given
 * here (the real /sys and /dev on the box, a fake tree in tests); nothing below probes
 * on its own.
 */
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileSource } from '../capture/file-source.js';
import type { FrameSource } from '../capture/frame-source.js';
import { StdinSource } from '../capture/stdin-source.js';
import { TestPatternSource } from '../capture/test-pattern-source.js';
import { V4l2Source } from '../capture/v4l2-source.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../system/logger.js';
import { findCaptureDevice, type DiscoveryOptions } from '../v4l2/v4l2-discovery.js';

export interface SourceChoice {
  readonly source: FrameSource;
  /** One line for the log and /api/status: what was chosen and why. */
  readonly reason: string;
}

export interface SourceEnv {
  /** Filesystem root holding sys/ and dev/ ('/' on the box). */
  readonly root: string;
  /** Where `-` reads raw I420 frames. */
  readonly stdin: Readable;
  readonly logger: Logger;
  /** The board's M2M MJPEG decoder node (board probe); without it ffmpeg decodes MJPEG. */
  readonly mjpegDecoder?: string;
}

/** Where to look for the capture dongle under `root`: udev's stable name, else a scan. */
export function captureDiscovery(root: string): DiscoveryOptions {
  return { sysClassDir: join(root, 'sys/class/video4linux'), devDir: join(root, 'dev'), stablePath: join(root, 'dev/sonobox/capture') };
}

export function pickSource(config: Config, env: SourceEnv): SourceChoice {
  const { spec, width, height, fps } = config.source;
  const hw = env.mjpegDecoder ? { mjpegDecoder: env.mjpegDecoder } : {};
  const v4l2 = (device: string, discovery?: DiscoveryOptions): FrameSource => new V4l2Source({ device, width, height, fps, logger: env.logger, ...hw, ...(discovery ? { discovery } : {}) });
  if (spec === 'test-pattern') return { source: new TestPatternSource({ width, height, fps }), reason: 'test pattern chosen in the configuration' };
  if (spec === 'test-pattern:speckle') return { source: new TestPatternSource({ width, height, fps, speckle: true }), reason: 'test pattern with speckle chosen in the configuration' };
  if (spec === '-') return { source: new StdinSource({ width, height, fps, logger: env.logger }, env.stdin), reason: 'raw I420 on standard input chosen in the configuration' };
  const discovery = captureDiscovery(env.root);
  // The appliance never shows the test pattern: a parent would take it for the scan. The
  // source looks for the dongle again on every attempt (V4l2Source device 'auto', every
  // retryMs), so one plugged in after boot is streamed within a second or so.
  if (spec === 'capture' || (spec === 'auto' && config.appliance)) {
    const how = spec === 'capture' ? 'source capture' : 'source auto on the appliance';
    return { source: v4l2('auto', discovery), reason: `${how}: the capture dongle (udev's /dev/sonobox/capture, else the first UVC capture node), with the "no capture device" slate until one is plugged in` };
  }
  if (spec === 'auto') {
    // The development fallback: a PC with no dongle at start shows the test pattern.
    const device = findCaptureDevice(discovery);
    if (!device) return { source: new TestPatternSource({ width, height, fps }), reason: 'source auto: no capture dongle plugged in at start, so the test pattern (development fallback; the appliance waits for the dongle instead)' };
    return { source: v4l2('auto', discovery), reason: `source auto: capture dongle ${device}` };
  }
  if (spec.startsWith('/dev/')) return { source: v4l2(spec), reason: 'capture device chosen in the configuration' };
  return { source: new FileSource({ path: spec, width, height, fps, logger: env.logger }), reason: 'video file chosen in the configuration' };
}
