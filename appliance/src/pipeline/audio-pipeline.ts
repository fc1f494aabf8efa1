/**
 * AudioPipeline is the glue from an AudioSource to the viewers' Opus tracks, beside the
 * VideoPipeline: it opens the source once the video streams (some dongles start their
 * sound only then; video never waits for audio), passes packets on unless the sonographer
 * muted the sound at the box, and keeps what viewers are told (AudioShare: on, muted,
 * none) with one notification per change for the cart and the pages' event streams.
 *
 * Muting drops packets at the box, so nothing of the sound leaves it; the first packet
 * after unmuting is marked a discontinuity, so the RTP timeline jumps by the muted time
 * on the capture clock (RFC 7587 marker, opus-rtp-packetizer.ts) and lip sync holds.
 */
import { AudioCondition, type AudioSource, type OpusPacket } from '../audio/audio-frame.js';
import { audioShare, type AudioShare } from '../audio/audio-share.js';
import type { SourceCondition } from '../media/source-condition.js';
import type { Logger } from '../system/logger.js';

export interface AudioPipelineOptions {
  /** The sound to send, or undefined for none (hardware/pick-audio.ts says why). */
  readonly source: AudioSource | undefined;
  /** Called for every packet that may leave the box, in order (the audio hub's publish). */
  readonly publish: (packet: OpusPacket) => void;
  /** Tag it: child({ c: 'audio' }). Conditions are logged by the sources themselves. */
  readonly logger: Logger;
}

export interface AudioStatus {
  readonly kind: string;
  readonly description: string;
  readonly condition: AudioCondition;
  readonly detail?: string;
  readonly muted: boolean;
  /** What the viewers are told (audio-share.ts). */
  readonly share: AudioShare;
  /** Packets sent on to the viewers, and dropped while muted. */
  readonly packetsOut: number;
  readonly packetsMuted: number;
}

export class AudioPipeline {
  private condition: AudioCondition;
  private detail: string | undefined;
  private muted = false;
  private gap = true;
  private started = false;
  private shared: AudioShare;
  private readonly listeners = new Set<(share: AudioShare) => void>();
  private counts = { packetsOut: 0, packetsMuted: 0 };
  private publishFailed = false;

  constructor(private readonly o: AudioPipelineOptions) {
    this.condition = o.source ? AudioCondition.waiting : AudioCondition.off;
    this.shared = this.currentShare();
  }

  /** Feed this from the video's conditions: the first 'live' opens the sound. */
  videoCondition(condition: SourceCondition): void {
    if (condition === 'live') this.start();
  }

  /** Opens the source now (once; later calls do nothing). */
  start(): void {
    const source = this.o.source;
    if (this.started || !source) return;
    this.started = true;
    source.start({
      onPacket: (p) => this.onPacket(p),
      onCondition: (c, d) => {
        this.condition = c;
        this.detail = d;
        this.update();
      },
    });
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.o.source?.stop();
  }

  get share(): AudioShare {
    return this.shared;
  }

  get isMuted(): boolean {
    return this.muted;
  }

  /** The sonographer's mute for everyone; returns the new state. */
  setMuted(muted: boolean): boolean {
    if (muted !== this.muted) {
      this.muted = muted;
      this.gap = true;
      this.o.logger.info(muted ? 'Sound muted at the box for every viewer' : 'Sound shared again');
      this.update();
    }
    return this.muted;
  }

  /** Calls `listener` on every change of what viewers are told; returns the unsubscribe. */
  onShareChange(listener: (share: AudioShare) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): AudioStatus {
    const s = this.o.source;
    return {
      kind: s?.kind ?? 'none',
      description: s?.description ?? 'no sound',
      condition: this.condition,
      ...(this.detail ? { detail: this.detail } : {}),
      muted: this.muted,
      share: this.shared,
      ...this.counts,
    };
  }

  private onPacket(p: OpusPacket): void {
    if (this.muted) {
      this.counts.packetsMuted++;
      return;
    }
    const packet = this.gap && !p.discontinuity ? { ...p, discontinuity: true } : p;
    this.gap = false;
    try {
      this.o.publish(packet);
      this.counts.packetsOut++;
    } catch (e) {
      // A packet the packetizer refuses (not one 20 ms frame): the encoder is broken; said
      // once, the sound goes on with the next good packet after a discontinuity.
      this.gap = true;
      if (!this.publishFailed) this.o.logger.error(`Sound packet dropped: ${(e as Error).message}`);
      this.publishFailed = true;
    }
  }

  private currentShare(): AudioShare {
    return audioShare(this.o.source ? this.condition : undefined, this.muted);
  }

  private update(): void {
    const share = this.currentShare();
    if (share === this.shared) return;
    this.shared = share;
    for (const l of this.listeners) l(share);
  }
}
