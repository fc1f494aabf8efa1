/**
 * createEncoder: the H264Encoder a BoardProbe calls for. The composition root (main.ts)
 * probes once, logs probe.encoder.reason, shows it in /api/status, and calls this.
 */
import type { BoardProbe } from './board-probe.js';
import type { EncoderSettings } from '../media/encoder-settings.js';
import type { H264Encoder } from './h264-encoder.js';
import type { Logger } from '../system/logger.js';
import { SoftwareEncoder } from './software-encoder.js';
import { V4l2M2mEncoder } from './v4l2-m2m-encoder.js';

export function createEncoder(probe: BoardProbe, settings: EncoderSettings, logger?: Logger): H264Encoder {
  if (probe.encoder.kind === 'v4l2-m2m' && probe.encoder.device) {
    return new V4l2M2mEncoder({ device: probe.encoder.device, settings, codec: 'h264', logger });
  }
  return new SoftwareEncoder({ settings, logger });
}
