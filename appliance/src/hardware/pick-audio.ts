/**
 * Which sound the box sends with the picture, from `audio.device` and the video source
 * picked (pick-source.ts), with the reason for the log and /api/status:
 *
 *   none             no sound
 *   an ALSA device   that device, whatever the picture
 *   auto             the sound that belongs to the picture: the capture dongle's own sound
 *                    card (same USB device, looked up in sysfs at every open), the test
 *                    pattern's synthetic heartbeat (the tone bursts its marker frames flash
 *                    with), the video file's audio track, or none for raw I420 on stdin
 *
 * Nothing is opened here: the AudioPipeline starts the source once the video streams.
 */
import { join } from 'node:path';
import { AlsaAudioSource } from '../audio/alsa-audio-source.js';
import type { AudioSource } from '../audio/audio-frame.js';
import { EncodedAudioSource } from '../audio/encoded-audio-source.js';
import { FileAudioSource } from '../audio/file-audio-source.js';
import { PcmOpusEncoder } from '../audio/pcm-opus-encoder.js';
import { HeartbeatSource } from '../audio/synthetic-heartbeat-source.js';
import type { FrameSource } from '../capture/frame-source.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../system/logger.js';
import { findCaptureDevice } from '../v4l2/v4l2-discovery.js';
import { captureDiscovery } from './pick-source.js';

export interface AudioChoice {
  /** undefined: no sound. */
  readonly source: AudioSource | undefined;
  readonly reason: string;
}

export interface AudioEnv {
  /** Filesystem root holding sys/, proc/ and dev/ ('/' on the box). */
  readonly root: string;
  /** Tagged child({ c: 'audio' }). */
  readonly logger: Logger;
}

export function pickAudio(config: Config, video: FrameSource, env: AudioEnv): AudioChoice {
  const { device } = config.audio;
  const logger = env.logger;
  const sysRoot = join(env.root, 'sys');
  const procAsound = join(env.root, 'proc/asound');
  const encoded = (pcm: ConstructorParameters<typeof EncodedAudioSource>[0]): AudioSource => new EncodedAudioSource(pcm, new PcmOpusEncoder({ logger }), {}, logger);
  if (device === 'none') return { source: undefined, reason: 'no sound chosen in the configuration (audio.device none)' };
  if (device !== 'auto') return { source: new AlsaAudioSource({ device: { alsaDevice: device }, sysRoot, procAsound, logger }), reason: 'ALSA capture device chosen in the configuration' };
  switch (video.kind) {
    case 'test-pattern':
      return { source: encoded(new HeartbeatSource()), reason: "the test pattern's synthetic heartbeat: a tone burst on every frame that flashes the marker" };
    case 'file':
      return { source: encoded(new FileAudioSource({ path: config.source.spec })), reason: "the video file's audio track (none if it has no audio)" };
    case 'v4l2': {
      const spec = config.source.spec;
      const discovery = captureDiscovery(env.root);
      const videoDevice = spec.startsWith('/dev/') ? spec : (): string | undefined => findCaptureDevice(discovery);
      return {
        source: new AlsaAudioSource({ device: { videoDevice }, sysRoot, procAsound, logger }),
        reason: "the capture dongle's own sound card (the same USB device as the picture), opened once the video streams",
      };
    }
    default:
      return { source: undefined, reason: `the ${video.kind === 'stdin' ? 'raw I420 on standard input' : video.kind} source carries no sound` };
  }
}
