import { describe, expect, it } from 'vitest';
import type { AudioCondition } from './audio-frame.js';
import { memoryLogger } from '../system/test/memory-logger.js';
import { AudioConditionReporter } from './audio-condition-reporter.js';
import { SilenceDetector } from './silence-detector.js';

describe('SilenceDetector', () => {
  it.each([
    ['sound at once', [[1000, 0]], 'sound'],
    ['quiet below the hold: nothing yet', [[0, 0], [10, 2900]], undefined],
    ['quiet for the hold: silent', [[0, 0], [10, 3000]], 'silent'],
    ['dither at the threshold counts as quiet', [[16, 0], [16, 3000]], 'silent'],
    ['one loud packet in the quiet restarts the hold', [[0, 0], [5000, 2000], [0, 2020], [0, 4900]], 'sound'],
    ['sound, then 3 s of quiet: silent', [[9000, 0], [0, 20], [0, 3020]], 'silent'],
  ] as const)('%s', (_n, packets, state) => {
    const d = new SilenceDetector({ holdMs: 3000 });
    for (const [peak, t] of packets) d.push(peak, t);
    expect(d.loudness).toBe(state);
  });
});

describe('AudioConditionReporter', () => {
  it('reports once per change; a new detail for the same condition is not a new line', () => {
    const lines: [AudioCondition, string | undefined][] = [];
    const { logger, lines: logged } = memoryLogger();
    const r = new AudioConditionReporter(logger.child({ c: 'audio' }), 'the capture dongle\'s sound card', (c, d) => lines.push([c, d]), { holdMs: 100 });
    r.trouble('no-device', 'the capture dongle has no sound card');
    r.trouble('no-device', 'retrying in 2000 ms');
    for (let t = 0; t < 200; t += 20) r.packet(5000, t); // heartbeat sound
    for (let t = 200; t < 600; t += 20) r.packet(0, t); // then silence
    r.trouble('error', 'plughw:CARD=MS2109,DEV=0: no audio data from the device');
    r.packet(0, 1000); // after trouble the detector starts afresh: no instant 'silent'
    r.packet(3000, 1020);
    expect(lines).toEqual([
      ['no-device', 'the capture dongle has no sound card'],
      ['live', undefined],
      ['silent', undefined],
      ['error', 'plughw:CARD=MS2109,DEV=0: no audio data from the device'],
      ['live', undefined],
    ]);
    // The same changes, one line each, at their levels, under the audio tag.
    expect(logged.map((l) => [l.level, l.c])).toEqual([['warn', 'audio'], ['info', 'audio'], ['info', 'audio'], ['error', 'audio'], ['info', 'audio']]);
    expect(logged[0]!.msg).toBe("Sound from the capture dongle's sound card: no device (the capture dongle has no sound card); the video goes on without sound");
    expect(logged[3]!.msg).toMatch(/failed \(plughw:CARD=MS2109,DEV=0: no audio data from the device\); retrying by itself/);
  });
});
