/**
 * ConditionReporter: how every source reports its condition — the video's SourceCondition
 * and the sound's AudioCondition alike — once per change (a repeat of the current
 * condition is dropped, whatever its detail), one log line at its level, then the sink.
 * Video levels: live is info; no device, no signal, no sync and out of range are warnings
 * (someone must act: plug the dongle, check the cable or the scanner's output); error is
 * an error. The wording is the source's: it knows what to check.
 */
import type { SourceCondition } from '../media/source-condition.js';
import type { Logger, LogLevel } from '../system/logger.js';

export function conditionLevel(c: SourceCondition): LogLevel {
  return c === 'live' ? 'info' : c === 'error' ? 'error' : 'warn';
}

/** Whoever is told of a change (FrameSink, AudioSink, PcmSink all fit). */
export interface ConditionSink<C extends string> {
  onCondition(condition: C, detail?: string): void;
}

export class ConditionReporter<C extends string = SourceCondition> {
  private condition: C | undefined;

  constructor(
    private readonly log: Logger,
    /** The one line for a condition; never picture or sound content. */
    private readonly describe: (c: C, detail: string | undefined) => string,
    /** The level of each condition's line; default the video's (conditionLevel). */
    private readonly level: (c: C) => LogLevel = conditionLevel as (c: string) => LogLevel,
  ) {}

  /** The condition last reported (undefined before the first). */
  get current(): C | undefined {
    return this.condition;
  }

  report(sink: ConditionSink<C> | undefined, c: C, detail?: string): void {
    if (c === this.condition) return;
    this.condition = c;
    this.log[this.level(c)](this.describe(c, detail));
    sink?.onCondition(c, detail);
  }
}

/** The line for a source with nothing more specific to say: "<description>: <condition> (<detail>)". */
export const plainConditionLine = (description: string) => (c: SourceCondition, detail: string | undefined): string =>
  `Source ${description}: ${c}${detail ? ` (${detail})` : ''}`;
