import { describe, expect, it } from 'vitest';
import type { SourceCondition } from '../media/source-condition.js';
import { memoryLogger } from '../system/test/memory-logger.js';
import { ConditionReporter, plainConditionLine } from './condition-reporter.js';
import type { FrameSink } from './frame-source.js';

describe('ConditionReporter: one line per change, at its level, then the sink', () => {
  it.each<[SourceCondition, string]>([
    ['live', 'info'],
    ['no-device', 'warn'],
    ['no-signal', 'warn'],
    ['no-sync', 'warn'],
    ['out-of-range', 'warn'],
    ['error', 'error'],
  ])('%s is logged at %s', (c, level) => {
    const { logger, lines } = memoryLogger();
    new ConditionReporter(logger.child({ c: 'capture' }), plainConditionLine('test source')).report(undefined, c, 'why');
    expect(lines).toEqual([{ level, c: 'capture', msg: `Source test source: ${c} (why)` }]);
  });

  it('drops repeats of the current condition, logging and telling the sink once per change', () => {
    const { logger, messages } = memoryLogger();
    const told: string[] = [];
    const sink: FrameSink = { onFrame: () => {}, onCondition: (c, d) => void told.push(`${c}:${d ?? ''}`) };
    const r = new ConditionReporter(logger, (c) => `line ${c}`);
    for (const c of ['no-device', 'no-device', 'live', 'live', 'live', 'no-signal', 'no-device'] as const) r.report(sink, c, 'x');
    expect(told).toEqual(['no-device:x', 'live:x', 'no-signal:x', 'no-device:x']);
    expect(messages()).toEqual(['line no-device', 'line live', 'line no-signal', 'line no-device']);
    expect(r.current).toBe('no-device');
  });
});
