/**
 * ConditionReporter: how every FrameSource reports its SourceCondition — once per change
 * (a repeat of the current condition is dropped), one log line at its level, then the sink.
 * Levels: live is info; no device, no signal, no sync and out of range are warnings
 * (someone must act: plug the dongle, check the cable or the scanner's output); error is
 * an error. The wording is the source's: it knows what to check.
 */
import type { SourceCondition } from '../media/source-condition.js';
import type { Logger, LogLevel } from '../system/logger.js';
import type { FrameSink } from './frame-source.js';

export function conditionLevel(c: SourceCondition): LogLevel {
  return c === 'live' ? 'info' : c === 'error' ? 'error' : 'warn';
}

export class ConditionReporter {
  private condition: SourceCondition | undefined;

  constructor(
    private readonly log: Logger,
    /** The one line for a condition; never picture content. */
    private readonly describe: (c: SourceCondition, detail: string | undefined) => string,
  ) {}

  /** The condition last reported (undefined before the first). */
  get current(): SourceCondition | undefined {
    return this.condition;
  }

  report(sink: FrameSink | undefined, c: SourceCondition, detail?: string): void {
    if (c === this.condition) return;
    this.condition = c;
    this.log[conditionLevel(c)](this.describe(c, detail));
    sink?.onCondition(c, detail);
  }
}

/** The line for a source with nothing more specific to say: "<description>: <condition> (<detail>)". */
export const plainConditionLine = (description: string) => (c: SourceCondition, detail: string | undefined): string =>
  `Source ${description}: ${c}${detail ? ` (${detail})` : ''}`;
