import { describe, expect, it } from 'vitest';
import { stallReason } from './media-watchdog.js';

describe('stallReason (why no picture came in time)', () => {
  it.each([
    // pictureSeen, iceConnectionState, connectionState → reason
    [false, 'connected', 'connecting', 'secure-setup-failed'], // ICE up, DTLS never done (Firefox seeing a werift box that gave up ICE)
    [false, 'completed', 'new', 'secure-setup-failed'],
    [false, 'connected', 'connected', 'no-picture'], // media flows, nothing decodes (no H.264 decoder, SPS the decoder refuses)
    [false, 'checking', 'connecting', 'lost'], // ICE never finished: resuming with a new offer may help
    [false, 'new', 'new', 'lost'],
    [false, 'connected', undefined, 'lost'], // no connectionState (old engines): cannot tell DTLS apart
    [true, 'disconnected', 'disconnected', 'lost'], // it played, then stopped: resume
    [true, 'connected', 'connecting', 'lost'],
  ] as const)('picture %s, ICE %s, connection %s → %s', (seen, ice, conn, want) => {
    expect(stallReason(seen, ice, conn)).toBe(want);
  });
});
