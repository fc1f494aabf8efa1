/**
 * The box's MACs over what it answers (docs/credential-scheme.md §5–6), with the response
 * key of the link's current key pair: the page checks them before it believes an answer
 * SDP, a Location, an ICE server or an event, so only the box can say them.
 */
import { macOf } from './request-proof.js';
import { canonicalEvent, canonicalResponse, formatEvent, type ResponseFields } from './wire-format.js';

/** The X-Sonobox-Proof value for a response. Throws on fields out of shape (a box bug). */
export function responseProof(key: Buffer, fields: ResponseFields): string {
  const text = canonicalResponse(fields);
  if (text === null) throw new RangeError('response fields out of shape for X-Sonobox-Proof');
  return macOf(key, text);
}

/**
 * One signed Server-Sent Event, ready to write: `id: <seq>`, `data: <data>`, `proof: <mac>`.
 * `requestN` is the counter of the GET that opened the stream; `seq` counts from 0 per stream.
 */
export function signedEvent(key: Buffer, requestN: number, seq: number, data: string): string {
  const text = canonicalEvent({ requestN, seq, data });
  if (text === null) throw new RangeError('event fields out of shape for a signed event');
  return formatEvent(seq, data, macOf(key, text));
}
