/**
 * Every HTTP error the box answers, in one table: code → status + one line for the person
 * reading it. Bodies are JSON `{ "error": code, "message": line }`.
 *
 * `link-invalid` is the single answer for an unknown, used or expired link and for "no
 * session": same status, body and headers, so a caller learns nothing about which it was.
 */
import type { FastifyReply } from 'fastify';

export const errorTable = {
  'link-invalid': { status: 403, message: 'This link has already been used or has expired. Ask the sonographer for a new one.' },
  'offer-rejected': { status: 400, message: 'The browser offer could not be answered' },
  'bad-request': { status: 400, message: 'The request is malformed' },
  'unsupported-media-type': { status: 415, message: 'Send the WHEP offer as Content-Type: application/sdp.' },
  'body-too-large': { status: 413, message: 'The offer is larger than 64 KiB; a browser offer is a few KiB, so this is not one.' },
  'rate-limited': { status: 429, message: 'Too many attempts; wait for the time in Retry-After, then try again.' },
  'not-from-box': { status: 403, message: 'This endpoint answers only requests made on the box itself.' },
  'viewer-connected': { status: 409, message: 'This link is still watching on a connection the box hears; wait for Retry-After, then try again.' },
  'misdirected': { status: 421, message: 'This box does not answer for that host name. Open the link from the cart\'s QR code.' },
  'session-full': { status: 409, message: 'Every viewer place in this session is held by a device that joined; end the session to share with another device.' },
  'viewer-not-found': { status: 404, message: 'No such viewer; it has already left or the session ended.' },
  'no-screen': { status: 404, message: 'The cart has not drawn a screen yet; try again in a moment.' },
  'no-frame': { status: 503, message: 'No picture arrived from the capture; check the source is live (GET /api/status) and try again.' },
  'not-found': { status: 404, message: 'Nothing here. The viewer page is at /v.' },
  'trickle-unsupported': { status: 405, message: 'This box answers with complete SDP; trickle ICE (PATCH) is not supported.' },
  'request-timeout': { status: 408, message: 'The request took too long to arrive; try again.' },
  'viewer-page-missing': { status: 503, message: 'The viewer page is not built on this box; run "npm run build:ui".' },
  'internal': { status: 500, message: 'The box could not answer this request; the box log says why.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorTable;

/** The JSON body for an error; `detail` (one line, no secrets) is appended to the message. */
export function errorBody(code: ErrorCode, detail?: string): { error: ErrorCode; message: string } {
  const base = errorTable[code].message;
  const oneLine = detail?.replace(/\s+/g, ' ').trim().slice(0, 200);
  return { error: code, message: oneLine ? `${base}: ${oneLine}` : base };
}

/** Sends an error from the table. Returns the reply so handlers can `return sendError(...)`. */
export function sendError(reply: FastifyReply, code: ErrorCode, detail?: string): FastifyReply {
  return reply.code(errorTable[code].status).type('application/json; charset=utf-8').send(errorBody(code, detail));
}

/** An error carrying a table code, thrown from hooks and turned into a reply by the error handler. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(errorTable[code].message);
  }
}
