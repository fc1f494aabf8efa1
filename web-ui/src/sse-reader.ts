/**
 * Reads a Server-Sent Events stream incrementally (WHATWG HTML §9.2.6, "Interpreting an
 * event stream"), for a page that fetches its event stream itself: EventSource cannot send
 * an Authorization header, so the page reads `GET …/events` through fetch and feeds the
 * decoded text here. Pure: `feedSse(state, chunk) → { state, events }`.
 *
 * Kept fields: `id`, `data` (lines joined by LF) and the box's `proof`; comments and other
 * fields are ignored, as EventSource ignores them.
 */

export interface SseEvent {
  readonly id: string | null;
  readonly data: string;
  readonly proof: string | null;
}

export interface SseState {
  /** Text after the last line break, waiting for the rest of its line. */
  readonly pending: string;
  readonly id: string | null;
  readonly data: readonly string[];
  readonly proof: string | null;
  /** The last chunk ended with CR: an LF opening the next one ends nothing (it was CRLF). */
  readonly afterCr: boolean;
}

export const initialSseState: SseState = { pending: '', id: null, data: [], proof: null, afterCr: false };

/** Longest line kept while waiting for its end; a stream that sends more is not the box. */
export const MAX_LINE = 16 * 1024;

export function feedSse(state: SseState, chunk: string): { readonly state: SseState; readonly events: SseEvent[] } {
  const text = state.pending + (state.afterCr && chunk.startsWith('\n') ? chunk.slice(1) : chunk);
  const lines = text.split(/\r\n|\r|\n/);
  let pending = lines.pop() ?? '';
  let { id, data, proof } = state;
  const events: SseEvent[] = [];
  for (const line of lines) {
    if (line === '') {
      if (data.length > 0) events.push({ id, data: data.join('\n'), proof });
      data = [];
      proof = null;
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data = [...data, value];
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'proof') proof = value;
  }
  if (pending.length > MAX_LINE) pending = '';
  return { state: { pending, id, data, proof, afterCr: chunk.endsWith('\r') || (chunk === '' && state.afterCr) }, events };
}
