/**
 * One AudioCondition at a time, reported once per change through the one ConditionReporter
 * (capture/condition-reporter.ts): what the device or helper says (no-device, error,
 * waiting, off) and, while packets flow, what the silence detector hears (live or silent).
 * The detail of a condition is the first one given; a retry that only changes the detail
 * ("retrying in 2000 ms") is not a new line. Lines never carry sound, only its state.
 */
import { ConditionReporter } from '../capture/condition-reporter.js';
import type { Logger, LogLevel } from '../system/logger.js';
import { AudioCondition } from './audio-frame.js';
import { SilenceDetector, type SilenceOptions } from './silence-detector.js';

/** warn: someone may act (a dongle without sound, unplugged); error: something failed; the rest is info. */
export function audioConditionLevel(c: AudioCondition): LogLevel {
  return c === AudioCondition.error ? 'error' : c === AudioCondition.noDevice ? 'warn' : 'info';
}

/** The log line for a condition of the sound from `description`. */
export const audioConditionLine = (description: string) => (c: AudioCondition, detail: string | undefined): string => {
  const why = detail ? ` (${detail})` : '';
  switch (c) {
    case AudioCondition.live: return `Sound from ${description}: live`;
    case AudioCondition.silent: return `Sound from ${description}: silent${why} — the scanner sends no sound (Doppler off or muted on the scanner)`;
    case AudioCondition.waiting: return `Sound from ${description}: waiting for the video to stream before opening it`;
    case AudioCondition.noDevice: return `Sound from ${description}: no device${why}; the video goes on without sound`;
    case AudioCondition.error: return `Sound from ${description}: failed${why}; retrying by itself, the video goes on`;
    case AudioCondition.off: return `Sound off${why}`;
  }
};

export class AudioConditionReporter {
  private readonly conditions: ConditionReporter<AudioCondition>;
  private readonly silence: SilenceDetector;

  constructor(
    log: Logger,
    description: string,
    private readonly notify: (condition: AudioCondition, detail?: string) => void,
    silence: SilenceOptions = {},
  ) {
    this.conditions = new ConditionReporter<AudioCondition>(log, audioConditionLine(description), audioConditionLevel);
    this.silence = new SilenceDetector(silence);
  }

  get condition(): AudioCondition | undefined {
    return this.conditions.current;
  }

  /** A packet arrived (peak level, capture time): live or silent once the detector knows. */
  packet(peak: number, timeMs: number): void {
    const l = this.silence.push(peak, timeMs);
    if (l) this.set(l === 'sound' ? AudioCondition.live : AudioCondition.silent);
  }

  /** Trouble or a lifecycle state (anything but live/silent); the next packets start afresh. */
  trouble(condition: Exclude<AudioCondition, 'live' | 'silent'>, detail?: string): void {
    this.silence.reset();
    this.set(condition, detail);
  }

  private set(condition: AudioCondition, detail?: string): void {
    this.conditions.report({ onCondition: this.notify }, condition, detail);
  }
}
