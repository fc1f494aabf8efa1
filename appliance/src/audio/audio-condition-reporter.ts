/**
 * One AudioCondition at a time, reported once per change: what the device or helper says
 * (no-device, error, waiting, off) and, while packets flow, what the silence detector
 * hears (live or silent). The detail of a condition is the first one given; a retry that
 * only changes the detail ("retrying in 2000 ms") is not a new line.
 */
import { AudioCondition } from './audio-frame.js';
import { SilenceDetector, type SilenceOptions } from './silence-detector.js';

export class AudioConditionReporter {
  private current: AudioCondition | undefined;
  private readonly silence: SilenceDetector;

  constructor(
    private readonly report: (condition: AudioCondition, detail?: string) => void,
    silence: SilenceOptions = {},
  ) {
    this.silence = new SilenceDetector(silence);
  }

  get condition(): AudioCondition | undefined {
    return this.current;
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
    if (condition === this.current) return;
    this.current = condition;
    this.report(condition, detail);
  }
}
