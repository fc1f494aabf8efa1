/**
 * The viewer page's side of sonobox/v1 for route tests: the page's own module
 * (web-ui/src/request-proof.ts) holding one link, signing each request with the next
 * counter and checking what the box signs back. It never sends the token.
 */
import { randomBytes } from 'node:crypto';
import { completeClaim, signRequest, startProver, verifyEvent, verifyResponse, type Prover, type SignedRequest } from '../../../../web-ui/src/request-proof.js';

/** A response as the tests see it (fastify inject's or fetch's, reduced). */
export interface SeenResponse {
  readonly statusCode: number;
  readonly headers: Record<string, unknown>;
  readonly body: string;
}

const header = (r: SeenResponse, name: string): string => {
  const v = r.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : '';
};

export class PageClient {
  #prover: Prover;
  /** Every Authorization value sent, in order (tests check none repeats and none holds the token). */
  readonly sent: string[] = [];

  /** `base` as the page computes it (boxBase): inject's default Host is localhost:80. */
  constructor(token: string, readonly base = 'http://localhost:80') {
    const p = startProver(token);
    if (p === null) throw new Error('not a token the box could have made');
    this.#prover = p;
  }

  get claimed(): boolean {
    return this.#prover.claimed;
  }

  get linkId(): string {
    return this.#prover.linkId;
  }

  /** Signs the next request (a claim until the claim has succeeded). */
  sign(method: 'POST' | 'GET' | 'DELETE', path: string, body = ''): SignedRequest {
    const { prover, request } = signRequest(this.#prover, { method, base: this.base, path, body }, (n) => new Uint8Array(randomBytes(n)));
    this.#prover = prover;
    this.sent.push(request.authorization);
    return request;
  }

  /**
   * Takes the box's answer to `sent`: completes a claim's 201 (device keys) or checks the
   * signature of any other answer. True when the box signed it.
   */
  receive(sent: SignedRequest, r: SeenResponse): boolean {
    const seen = { status: r.statusCode, location: header(r, 'location'), key: header(r, 'x-sonobox-key'), link: header(r, 'link'), body: r.body, proof: header(r, 'x-sonobox-proof') };
    if (!this.#prover.claimed && sent.exchange !== null && r.statusCode === 201) {
      const claimed = completeClaim(this.#prover, sent, seen);
      if (claimed === null) return false;
      this.#prover = claimed;
      return true;
    }
    return seen.proof !== '' && verifyResponse(this.#prover, sent, seen);
  }

  /** True when event number `seq` of the stream opened by `sent` is the box's. */
  event(sent: SignedRequest, seq: number, e: { id: string | null; data: string; proof: string | null }): boolean {
    return verifyEvent(this.#prover, sent.n, seq, e);
  }
}

/** A fetch Response as PageClient.receive takes it (reads the body; headers by lower-case name, as fetch joins them). */
export async function seenFromFetch(res: Response): Promise<SeenResponse> {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => (headers[name] = value));
  return { statusCode: res.status, headers, body: await res.text() };
}

/**
 * The page's `base` for a box addressed as `url`: what fetch sends as Host (the default
 * port left out), which is what the box's MAC covers.
 */
export function baseOf(url: string | URL): string {
  return new URL(url).origin;
}
