import { describe, expect, it } from 'vitest';
import { conditionLine } from './v4l2-source.js';
import { SourceCondition } from '../media/source-condition.js';

describe('conditionLine', () => {
  it.each(Object.values(SourceCondition))('%s says what happened and carries the detail', (c) => {
    const line = conditionLine(c, 'DETAIL');
    expect(line).toContain('DETAIL');
    expect(line.length).toBeGreaterThan(20);
  });
});
