import { describe, expect, it } from 'vitest';
import type { AudioCondition } from './audio-frame.js';
import { audioShare, type AudioShare } from './audio-share.js';

describe('audioShare: what viewers are told about the sound', () => {
  it.each<[AudioCondition | undefined, boolean, AudioShare]>([
    [undefined, false, 'none'], // no source (--source -, audio.device none)
    [undefined, true, 'none'],
    ['off', true, 'none'],
    ['live', false, 'on'],
    ['silent', false, 'on'], // the scanner is quiet; the sound comes when Doppler starts
    ['live', true, 'muted'],
    ['silent', true, 'muted'],
    ['waiting', false, 'none'],
    ['no-device', false, 'none'],
    ['error', false, 'none'],
    ['no-device', true, 'muted'], // the sonographer's choice is what the page says
  ])('%s, muted %s → %s', (condition, muted, share) => expect(audioShare(condition, muted)).toBe(share));
});
