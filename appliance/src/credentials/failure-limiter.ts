/**
 * The rate-limit policy for viewer requests (docs/credential-scheme.md §10), pure: the
 * credential is checked first, at a constant cost, and then
 *
 *   - a valid credential always passes: strangers can never lock the parent out, even from
 *     the same address (a clinic guest network may put every phone behind one NAT);
 *   - a failure is counted per address and for everyone together, in fixed windows; while
 *     its address or everyone is over budget it is answered 429 (Retry-After: the window's
 *     end) instead of the table's 403, telling honest clients to slow down;
 *   - hitting a limit is logged once per window and kind, never once per request, and the
 *     log names no address.
 *
 * Addresses are counted by IPv4 address or IPv6 /64 (a host picks any address in its /64
 * at will, RFC 8981), and at most `maxAddresses` of them per window: beyond that, new
 * addresses count only towards the global budget, so a flood of addresses cannot grow memory.
 */

export interface FailureBudget {
  readonly windowMs: number;
  /** Failures one address may have per window before they are answered 429. */
  readonly perAddress: number;
  /** Failures everyone together may have per window. */
  readonly global: number;
  /** Addresses tracked per window. */
  readonly maxAddresses: number;
}

export const defaultFailureBudget: FailureBudget = { windowMs: 60_000, perAddress: 30, global: 120, maxAddresses: 256 };

export interface FailureLimiterState {
  /** Start of the current window (monotonic ms); null before the first failure. */
  readonly windowStart: number | null;
  readonly perAddress: ReadonlyMap<string, number>;
  readonly global: number;
  /** Limits already logged in this window. */
  readonly logged: { readonly address: boolean; readonly global: boolean };
}

export const initialLimiterState: FailureLimiterState = { windowStart: null, perAddress: new Map(), global: 0, logged: { address: false, global: false } };

export type Verdict =
  | { readonly answer: 'pass' }
  | { readonly answer: 'refuse' }
  | { readonly answer: 'limited'; readonly retryAfterMs: number };

/** One log line to write, at warning level: someone is sending bad credentials in bulk. */
export type LimitLog = 'address-limit' | 'global-limit';

export interface Judgement {
  readonly state: FailureLimiterState;
  readonly verdict: Verdict;
  readonly log: LimitLog | null;
}

/**
 * The counting key of a peer address: IPv4 as is (also when IPv4-mapped), IPv6 by its /64.
 * Input is a socket's remoteAddress (already canonical); anything unreadable counts as one key.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return '?';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const groups = ipv6Groups(address.split('%')[0]!.toLowerCase());
  return groups === null ? '?' : `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (RFC 4291 §2.2 text forms), or null. */
function ipv6Groups(address: string): string[] | null {
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const part = (text: string | undefined): string[] => {
    if (!text) return [];
    const pieces = text.split(':');
    // A trailing dotted IPv4 stands for the last two groups.
    if (pieces[pieces.length - 1]!.includes('.')) pieces.splice(-1, 1, '0', '0');
    return pieces;
  };
  const left = part(halves[0]);
  const right = part(halves[1]);
  if (halves.length === 1) return left.length === 8 ? left : null;
  const fill = 8 - left.length - right.length;
  return fill < 1 ? null : [...left, ...new Array<string>(fill).fill('0'), ...right];
}

/** Log line text for a limit (no address, no count that could identify one). */
export const limitMessage: Record<LimitLog, string> = {
  'address-limit': 'WHEP: one address is sending bad credentials in bulk; answering its failures 429 for the rest of the minute (valid links still pass)',
  'global-limit': 'WHEP: bad credentials from many places at once; answering failures 429 for the rest of the minute (valid links still pass)',
};

/** Decides one request whose credential has been checked (`valid`), at monotonic `now`. */
export function judge(state: FailureLimiterState, budget: FailureBudget, request: { readonly address: string | undefined; readonly valid: boolean; readonly now: number }): Judgement {
  const s = state.windowStart === null || request.now - state.windowStart >= budget.windowMs ? { ...initialLimiterState, windowStart: request.now } : state;
  if (request.valid) return { state: s, verdict: { answer: 'pass' }, log: null };

  const key = addressKey(request.address);
  const tracked = s.perAddress.has(key) || s.perAddress.size < budget.maxAddresses;
  const mine = (s.perAddress.get(key) ?? 0) + 1;
  const perAddress = tracked ? new Map(s.perAddress).set(key, mine) : s.perAddress;
  const global = s.global + 1;

  const addressOver = tracked && mine > budget.perAddress;
  const globalOver = global > budget.global;
  let log: LimitLog | null = null;
  const logged = { ...s.logged };
  if (addressOver && !logged.address) {
    log = 'address-limit';
    logged.address = true;
  } else if (globalOver && !logged.global) {
    log = 'global-limit';
    logged.global = true;
  }
  const next: FailureLimiterState = { windowStart: s.windowStart, perAddress, global, logged };
  const windowEnd = (s.windowStart ?? request.now) + budget.windowMs;
  const verdict: Verdict = addressOver || globalOver ? { answer: 'limited', retryAfterMs: windowEnd - request.now } : { answer: 'refuse' };
  return { state: next, verdict, log };
}
