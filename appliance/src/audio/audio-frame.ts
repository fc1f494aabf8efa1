/**
 * The audio vocabulary: what flows from an audio source to the viewers' Opus tracks.
 *
 *   PcmFrame (20 ms of S16 at 48 kHz) ──► Opus encoder ──► OpusPacket ──► RFC 7587 RTP
 *
 * Clock: every captureTimeMs here is on the capture clock every video frame uses
 * (capture/raw-frame.ts captureClockMs: performance.timeOrigin + performance.now(), Unix
 * ms), so the audio and video RTP timelines and their sender reports share one clock.
 */

/** Opus and its RTP clock run at 48 kHz (RFC 7587 §4.1). */
export const AUDIO_SAMPLE_RATE = 48_000;
/** Samples per channel in one 20 ms frame: one frame per packet, one packet per RTP packet. */
export const AUDIO_FRAME_SAMPLES = 960;
/** Duration of one frame, ms. */
export const AUDIO_FRAME_MS = (AUDIO_FRAME_SAMPLES * 1000) / AUDIO_SAMPLE_RATE;

/** PcmFrame is 20 ms of interleaved S16 little-endian samples at 48 kHz, on its way to the encoder. */
export interface PcmFrame {
  /** 1 or 2; stereo is downmixed to mono by the encoder (Doppler is mono in practice). */
  readonly channels: 1 | 2;
  /** Exactly AUDIO_FRAME_SAMPLES × channels × 2 bytes. */
  readonly data: Buffer;
  /** Capture time of the frame's first sample (capture clock, ms). */
  readonly captureTimeMs: number;
  /** Frame number from the source. */
  readonly seq: number;
  /** True for the first frame after a gap (start, lost samples, a restart). */
  readonly discontinuity: boolean;
}

/** OpusPacket is one encoded 20 ms frame (RFC 6716), ready for one RTP packet. */
export interface OpusPacket {
  readonly payload: Buffer;
  /**
   * Capture time (capture clock, ms) of the first sample the decoded packet plays: the
   * frame's first sample minus the encoder's lookahead (opus-pipe.c).
   */
  readonly captureTimeMs: number;
  readonly seq: number;
  /** First packet of a run: the RTP timeline re-anchors on the capture clock and sets the marker. */
  readonly discontinuity: boolean;
  /** Largest |sample| of the mono input, 0..32768: the silence detector's input. */
  readonly peak: number;
}

/**
 * AudioCondition is the closed set of things that can be true of the sound, like the
 * video's SourceCondition: trouble is a state that lasts, reported once per change.
 * Video never waits for audio: any condition but 'live' just means no sound.
 */
export const AudioCondition = {
  /** Packets with sound are flowing. */
  live: 'live',
  /** Packets flow but carry silence (no Doppler on the scanner, or a muted HDMI source). */
  silent: 'silent',
  /** Opened only once video streams (some dongles start audio only then): start() not called yet. */
  waiting: 'waiting',
  /** No audio device for this capture device (a dongle without audio), or it was unplugged. */
  noDevice: 'no-device',
  /** The device is there but failed (busy, no data, wrong format, helper crashed); retrying. */
  error: 'error',
  /** Audio is off: `none` configured, or a source without sound (`--source -`). */
  off: 'off',
} as const;
export type AudioCondition = (typeof AudioCondition)[keyof typeof AudioCondition];

/** AudioSink receives what an AudioSource produces. Calls are synchronous and cheap. */
export interface AudioSink {
  onPacket(packet: OpusPacket): void;
  /** Called once per change of condition (or of its detail), never repeated. */
  onCondition(condition: AudioCondition, detail?: string): void;
}

/**
 * AudioSource is anything that produces Opus packets on the capture clock: the dongle's
 * ALSA card, the synthetic heartbeat, a looped file's audio track.
 */
export interface AudioSource {
  /** Short machine name for /api/status: 'alsa', 'heartbeat', 'file'. */
  readonly kind: string;
  /** One human line for the log; never a patient detail. */
  readonly description: string;
  /** Begins producing; packets and conditions go to the sink until stop(). */
  start(sink: AudioSink): void;
  /** Stops producing and releases every resource; safe to call twice. */
  stop(): Promise<void>;
}

/** PcmSink receives what a PcmSource produces. */
export interface PcmSink {
  onFrame(frame: PcmFrame): void;
  /** Trouble only ('no-device', 'error', …); sound and silence are judged after encoding. */
  onCondition(condition: AudioCondition, detail?: string): void;
}

/**
 * PcmSource produces raw 20 ms frames for the Opus encoder (encoded-audio-source.ts
 * makes it an AudioSource): the synthetic heartbeat, a looped file's audio track.
 */
export interface PcmSource {
  readonly kind: string;
  readonly description: string;
  start(sink: PcmSink): void;
  stop(): Promise<void>;
}
