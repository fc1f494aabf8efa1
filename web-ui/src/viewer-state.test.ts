import { describe, expect, it } from 'vitest';
import { transition, type ViewerEvent, type ViewerPhase } from './viewer-state.js';

const e = {
  connected: { type: 'media-connected' },
  lost: { type: 'media-lost' },
  linkRejected: { type: 'link-rejected' },
  resumeRejected: { type: 'resume-rejected' },
  ended: { type: 'session-ended' },
  failed: { type: 'failed', reason: 'unreachable' },
  retry: { type: 'retry' },
} as const satisfies Record<string, ViewerEvent>;

const cases: Array<[ViewerPhase, ViewerEvent, ViewerPhase]> = [
  ['connecting', e.connected, 'live'],
  ['connecting', e.linkRejected, 'link-invalid'],
  ['connecting', e.lost, 'reconnecting'],
  ['connecting', e.failed, 'error'],
  ['connecting', e.ended, 'ended'],
  ['connecting', e.retry, 'connecting'],
  ['live', e.lost, 'reconnecting'],
  ['live', e.ended, 'ended'],
  ['live', e.connected, 'live'],
  ['live', e.linkRejected, 'live'],
  ['reconnecting', e.connected, 'live'],
  ['reconnecting', e.resumeRejected, 'ended'],
  ['reconnecting', e.ended, 'ended'],
  ['reconnecting', e.failed, 'error'],
  ['reconnecting', e.linkRejected, 'reconnecting'],
  ['error', e.retry, 'connecting'],
  ['error', e.connected, 'error'],
  ['error', e.ended, 'ended'],
  ['ended', e.connected, 'ended'],
  ['ended', e.retry, 'ended'],
  ['link-invalid', e.connected, 'link-invalid'],
  ['link-invalid', e.ended, 'link-invalid'],
];

describe('transition', () => {
  it.each(cases)('%s + %o → %s', (from, event, to) => {
    expect(transition(from, event)).toBe(to);
  });
});
