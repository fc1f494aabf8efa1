import { describe, expect, it } from 'vitest';
import { feedSse, initialSseState, type SseEvent } from './sse-reader.js';

function readAll(chunks: readonly string[]): SseEvent[] {
  let state = initialSseState;
  const events: SseEvent[] = [];
  for (const chunk of chunks) {
    const r = feedSse(state, chunk);
    state = r.state;
    events.push(...r.events);
  }
  return events;
}

const stream = ': keep-alive\n\nid: 0\ndata: {"state":"live"}\nproof: AAA\n\n: keep-alive\n\nid: 1\ndata: {"state":"ended"}\nproof: BBB\n\n';
const expected = [
  { id: '0', data: '{"state":"live"}', proof: 'AAA' },
  { id: '1', data: '{"state":"ended"}', proof: 'BBB' },
];

describe('feedSse (WHATWG HTML §9.2.6)', () => {
  it('reads the box\'s signed events and skips heartbeats', () => {
    expect(readAll([stream])).toEqual(expected);
  });

  it('gives the same events however the stream is cut into chunks', () => {
    for (let cut = 0; cut <= stream.length; cut++) expect(readAll([stream.slice(0, cut), stream.slice(cut)])).toEqual(expected);
    expect(readAll([...stream])).toEqual(expected);
  });

  it.each([
    ['CRLF line ends, split between CR and LF', ['id: 0\r', '\ndata: x\r\n\r', '\n'], [{ id: '0', data: 'x', proof: null }]],
    ['lone CR line ends', ['id: 0\rdata: x\r\r', 'data: y\r\r'], [{ id: '0', data: 'x', proof: null }, { id: '0', data: 'y', proof: null }]],
    ['several data lines', ['data: a\ndata: b\n\n'], [{ id: null, data: 'a\nb', proof: null }]],
    ['no space after the colon', ['data:x\nproof:P\n\n'], [{ id: null, data: 'x', proof: 'P' }]],
    ['unknown fields and a field without a colon', ['event: live\nretry: 10\nfoo\ndata: x\n\n'], [{ id: null, data: 'x', proof: null }]],
    ['a blank line with no data dispatches nothing', ['id: 3\n\n\n'], []],
    ['an unfinished event is not dispatched', ['data: x\n'], []],
  ])('%s', (_name, chunks, events) => {
    expect(readAll(chunks)).toEqual(events);
  });

  it('a proof belongs to its event only', () => {
    expect(readAll(['data: a\nproof: P\n\ndata: b\n\n'])).toEqual([{ id: null, data: 'a', proof: 'P' }, { id: null, data: 'b', proof: null }]);
  });
});
