/**
 * HTTP/1.1 message framing (RFC 9112 §6): where one message ends in a byte stream, from
 * Content-Length or chunked transfer coding. Enough to cut a captured connection into its
 * requests byte for byte, and to know when a replayed request's answer is complete.
 */

const HEAD_END = Buffer.from('\r\n\r\n');

/** Header fields of a message head (names lower-cased; repeated fields joined by ', '). */
function fields(head: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    out.set(name, out.has(name) ? `${out.get(name)}, ${value}` : value);
  }
  return out;
}

/** Length of a chunked body starting at `at` (RFC 9112 §7.1), or null while incomplete. */
function chunkedLength(bytes: Buffer, at: number): number | null {
  let p = at;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', p);
    if (lineEnd < 0) return null;
    const size = parseInt(bytes.subarray(p, lineEnd).toString('latin1').split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size)) throw new Error('Malformed chunk size in captured HTTP');
    p = lineEnd + 2;
    if (size === 0) {
      // Trailer fields, then an empty line.
      for (;;) {
        const end = bytes.indexOf('\r\n', p);
        if (end < 0) return null;
        if (end === p) return end + 2 - at;
        p = end + 2;
      }
    }
    if (bytes.length < p + size + 2) return null;
    p += size + 2;
  }
}

/**
 * Length of the message that starts at `at`, or null while it is incomplete. A response
 * framed by the connection's end (no length, not chunked) is never complete here.
 */
export function messageLength(bytes: Buffer, at = 0, kind: 'request' | 'response' = 'request'): number | null {
  const headEnd = bytes.indexOf(HEAD_END, at);
  if (headEnd < 0) return null;
  const head = bytes.subarray(at, headEnd).toString('latin1');
  const bodyAt = headEnd + HEAD_END.length;
  const f = fields(head);
  if (kind === 'response') {
    const status = Number(head.split(' ')[1]);
    if ((status >= 100 && status < 200) || status === 204 || status === 304) return bodyAt - at;
  }
  if (/\bchunked\b/i.test(f.get('transfer-encoding') ?? '')) {
    const body = chunkedLength(bytes, bodyAt);
    return body === null ? null : bodyAt - at + body;
  }
  const declared = f.get('content-length');
  if (declared === undefined) return kind === 'request' ? bodyAt - at : null;
  const length = Number(declared);
  if (!Number.isInteger(length) || length < 0) throw new Error(`Malformed Content-Length "${declared}" in captured HTTP`);
  return bytes.length >= bodyAt + length ? bodyAt - at + length : null;
}

/** Cuts a client's byte stream into its requests, exactly as sent. `rest`: an unfinished tail. */
export function splitRequests(stream: Buffer): { readonly requests: Buffer[]; readonly rest: Buffer } {
  const requests: Buffer[] = [];
  let at = 0;
  while (at < stream.length) {
    const length = messageLength(stream, at, 'request');
    if (length === null) break;
    requests.push(stream.subarray(at, at + length));
    at += length;
  }
  return { requests, rest: stream.subarray(at) };
}

/** Method and request-target of a raw request. */
export function requestLine(raw: Buffer): { readonly method: string; readonly target: string } {
  const [method = '', target = ''] = raw.subarray(0, Math.max(0, raw.indexOf('\r\n'))).toString('latin1').split(' ');
  return { method, target };
}

/** A raw response's status code and header fields, once its head has arrived. */
export function responseHead(raw: Buffer): { readonly status: number; readonly headers: ReadonlyMap<string, string> } | null {
  const headEnd = raw.indexOf(HEAD_END);
  if (headEnd < 0) return null;
  const head = raw.subarray(0, headEnd).toString('latin1');
  return { status: Number(head.split(' ')[1]), headers: fields(head) };
}
