import { describe, expect, it } from 'vitest';
import { ViewerState } from './viewer-connection.js';
import { newViewerId, newViewerLogName, viewerTransition, type ViewerEvent } from './viewer-lifecycle.js';

describe('viewerTransition', () => {
  const cases: [ViewerState, ViewerEvent, ViewerState][] = [
    ['connecting', 'connected', 'connected'],
    ['connecting', 'disconnected', 'connecting'],
    ['connecting', 'failed', 'closed'],
    ['connected', 'disconnected', 'connected'],
    ['connected', 'reconnected', 'connected'],
    ['connected', 'closed', 'closed'],
    ['closed', 'connected', 'closed'],
    ['closed', 'reconnected', 'closed'],
  ];
  it.each(cases)('%s + %s → %s', (from, event, to) => {
    expect(viewerTransition(from, event)).toBe(to);
  });
});

describe('newViewerId', () => {
  it('is 128 random bits in base64url (22 chars), never repeating', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newViewerId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('newViewerLogName', () => {
  it('is an ordinal ("#n"), rising, that says nothing a request could use', () => {
    const [a, b] = [newViewerLogName(), newViewerLogName()];
    expect(a).toMatch(/^#\d+$/);
    expect(Number(b!.slice(1))).toBe(Number(a!.slice(1)) + 1);
  });
});
