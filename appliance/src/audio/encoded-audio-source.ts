/**
 * EncodedAudioSource makes a PcmSource (the heartbeat, a file's audio) an AudioSource:
 * frames go through a PcmOpusEncoder, packets to the sink, and the condition is the
 * source's trouble or, while packets flow, live/silent from their peak levels.
 */
import { silentLogger, type Logger } from '../system/logger.js';
import type { AudioSink, AudioSource, PcmSource } from './audio-frame.js';
import { AudioConditionReporter } from './audio-condition-reporter.js';
import { PcmOpusEncoder } from './pcm-opus-encoder.js';
import type { SilenceOptions } from './silence-detector.js';

export class EncodedAudioSource implements AudioSource {
  readonly kind: string;
  readonly description: string;
  private running = false;

  constructor(
    private readonly pcm: PcmSource,
    readonly encoder: PcmOpusEncoder = new PcmOpusEncoder(),
    private readonly silence: SilenceOptions = {},
    /** Tagged child({ c: 'audio' }): one line per condition change. */
    private readonly logger: Logger = silentLogger,
  ) {
    this.kind = pcm.kind;
    this.description = `${pcm.description}, Opus`;
  }

  start(sink: AudioSink): void {
    if (this.running) return;
    this.running = true;
    const reporter = new AudioConditionReporter(this.logger, this.pcm.description, (c, d) => sink.onCondition(c, d), this.silence);
    this.encoder.start((p) => {
      reporter.packet(p.peak, p.captureTimeMs);
      sink.onPacket(p);
    });
    this.pcm.start({
      onFrame: (f) => this.encoder.encode(f),
      onCondition: (c, d) => {
        if (c !== 'live' && c !== 'silent') reporter.trouble(c, d);
      },
    });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.pcm.stop();
    await this.encoder.stop();
  }
}
