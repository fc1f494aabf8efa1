/**
 * AlsaAudioSource (kind 'alsa'): the capture dongle's own sound, captured and encoded by
 * appliance/native/opus-pipe --alsa, so PCM never crosses into Node.
 *
 * Contracts:
 * - Nothing is opened until start(): the pipeline calls it once video streams (some
 *   dongles only start their audio then). Before that the condition is 'waiting'.
 * - Video never waits for audio: every failure here is a condition, never an exception.
 *   'no-device' (the dongle has no audio, or it was unplugged), 'error' (busy, no data,
 *   no 48 kHz, the helper failed), then 'live' or 'silent' from the packets' levels.
 * - It comes back by itself: after any failure the card is looked for again (card numbers
 *   change on replug) and reopened with back-off (250 ms doubling to 8 s; a run that
 *   lasted 10 s starts the sequence over).
 * - Packets carry capture-clock times: ALSA's CLOCK_MONOTONIC timestamps from the helper
 *   (capture-clock.ts), steadied over the frames (capture-time-smoother.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../system/logger.js';
import type { BackoffPolicy } from '../system/restart-backoff.js';
import { RestartSchedule } from '../system/restart-schedule.js';
import { findAudioCard, isAudioCard, ms2109QuirkMissing, videoSysPath } from './alsa-card-match.js';
import { AudioCondition, type AudioSink, type AudioSource } from './audio-frame.js';
import { AudioConditionReporter } from './audio-condition-reporter.js';
import { monotonicToCaptureClockMs } from './capture-clock.js';
import { CaptureTimeSmoother } from './capture-time-smoother.js';
import { HelperEnd, HelperRun, opusPipeArgs, type OpusSettings } from './opus-pipe-process.js';
import type { SilenceOptions } from './silence-detector.js';

export interface AlsaAudioSourceOptions {
  /**
   * `{ videoDevice }`: the sound card on the same USB device as this capture node (e.g.
   * /dev/sonobox/capture; or a function giving the node the video source would open now,
   * for a dongle found by a scan), found in sysfs at every (re)open. `{ alsaDevice }`: an
   * ALSA name as given (`plughw:CARD=Loopback,DEV=1`).
   */
  readonly device: { readonly videoDevice: string | (() => string | undefined) } | { readonly alsaDevice: string };
  readonly sysRoot?: string;
  /** Where /proc/asound is (the MS2109 check); default '/proc/asound'. */
  readonly procAsound?: string;
  readonly settings?: OpusSettings;
  /** No samples this long = 'error' and a reopen; default 2000 ms. */
  readonly stallMs?: number;
  readonly silence?: SilenceOptions;
  readonly backoff?: BackoffPolicy;
  readonly helperPath?: string;
  /** Tagged child({ c: 'audio' }): one line per condition change, open and warning; never audio. */
  readonly logger?: Logger;
}

export interface AlsaAudioStatus {
  readonly condition: AudioCondition;
  readonly detail?: string;
  /** The ALSA device of the current or last open. */
  readonly device?: string;
  readonly packets: number;
  readonly reopens: number;
}

/** Pure: the condition a helper run that ended this way leaves the source in. */
export function conditionAfter(end: HelperEnd): 'no-device' | 'error' {
  return end === HelperEnd.noDevice || end === HelperEnd.lost ? AudioCondition.noDevice : AudioCondition.error;
}

export class AlsaAudioSource implements AudioSource {
  readonly kind = 'alsa';
  readonly description: string;
  private run: HelperRun | undefined;
  private readonly restarts: RestartSchedule;
  private running = false;
  private reporter: AudioConditionReporter | undefined;
  private detail: string | undefined;
  private device: string | undefined;
  private warned = new Set<string>();
  private readonly log: Logger;
  private counts = { packets: 0, reopens: 0 };

  constructor(private readonly o: AlsaAudioSourceOptions) {
    this.restarts = new RestartSchedule(o.backoff);
    this.log = o.logger ?? silentLogger;
    const video = 'videoDevice' in o.device ? o.device.videoDevice : undefined;
    this.description = 'alsaDevice' in o.device ? `ALSA ${o.device.alsaDevice}` : `the capture dongle's sound card${typeof video === 'string' ? ` (${video})` : ''}`;
  }

  status(): AlsaAudioStatus {
    return {
      condition: this.reporter?.condition ?? AudioCondition.waiting,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.device ? { device: this.device } : {}),
      ...this.counts,
    };
  }

  /** Opens the device (call once video streams); packets and conditions go to the sink until stop(). */
  start(sink: AudioSink): void {
    if (this.running) return;
    this.running = true;
    this.reporter = new AudioConditionReporter(this.log, this.description, (c, d) => {
      this.detail = d;
      sink.onCondition(c, d);
    }, this.o.silence);
    this.attempt(sink);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.restarts.cancel();
    const run = this.run;
    this.run = undefined;
    await run?.stop();
  }

  /** Finds the device (auto), or says why there is none. */
  private resolve(): { name: string; note?: string } | { missing: string } {
    if ('alsaDevice' in this.o.device) return { name: this.o.device.alsaDevice };
    const sysRoot = this.o.sysRoot ?? '/sys';
    const { videoDevice } = this.o.device;
    const node = typeof videoDevice === 'string' ? videoDevice : videoDevice();
    if (node === undefined) return { missing: 'no capture dongle plugged in' };
    const card = findAudioCard(videoSysPath(node, sysRoot), { sysRoot });
    if (!isAudioCard(card)) return { missing: card.detail };
    let note: string | undefined;
    try {
      note = ms2109QuirkMissing(card.usbId, readFileSync(join(this.o.procAsound ?? '/proc/asound', `card${card.cardNumber}`, 'stream0'), 'utf8'));
    } catch {
      /* no /proc/asound stream file: nothing to check */
    }
    return { name: card.alsaName, ...(note ? { note } : {}) };
  }

  private attempt(sink: AudioSink): void {
    if (!this.running) return;
    const target = this.resolve();
    if ('missing' in target) {
      this.reporter!.trouble(AudioCondition.noDevice, target.missing);
      return this.retry(sink, 0);
    }
    if (target.note && !this.warned.has(target.note)) {
      this.warned.add(target.note);
      this.log.warn(`Sound: ${target.note}`);
    }
    this.device = target.name;
    const smoother = new CaptureTimeSmoother();
    let run: HelperRun;
    try {
      run = new HelperRun(opusPipeArgs({ alsa: target.name }, this.o.settings, this.o.stallMs), {
        onInfo: (line) => this.log.info(`Sound: ${line}`),
        onPacket: (p) => {
          if (this.run !== run) return;
          const measured = p.monotonic ? monotonicToCaptureClockMs(p.captureTimeMs) : p.captureTimeMs;
          const captureTimeMs = smoother.next(measured, p.discontinuity);
          this.counts.packets++;
          this.reporter!.packet(p.peak, captureTimeMs);
          sink.onPacket({ payload: p.payload, captureTimeMs, seq: p.seq, discontinuity: p.discontinuity, peak: p.peak });
        },
        onExit: (end, why, upMs) => {
          if (this.run !== run) return;
          this.run = undefined;
          this.reporter!.trouble(conditionAfter(end), `${target.name}: ${why}`);
          this.retry(sink, upMs);
        },
      }, this.o.helperPath);
    } catch (e) {
      // The helper is not built: a condition like any other, said once, retried slowly.
      this.reporter!.trouble(AudioCondition.error, (e as Error).message);
      return this.retry(sink, 0);
    }
    this.run = run;
  }

  private retry(sink: AudioSink, upMs: number): void {
    if (!this.running) return;
    this.restarts.after(upMs, () => {
      this.counts.reopens++;
      this.attempt(sink);
    });
  }
}
