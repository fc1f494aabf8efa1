import type { SourceCondition } from '../media/source-condition.js';
import type { EndReason, ScreenState } from './screens.js';

/**
 * The cart's session lifecycle as a pure state machine: `transition(state, event, now)`
 * returns the next state and the effects the controller carries out. No timer, no I/O;
 * `now` is monotonic ms.
 *
 *   idle ──press──▶ (issue-link) ──link-issued──▶ sharing ──viewer joins──▶ watching
 *   sharing/watching ──long press | max duration | no viewer for a while──▶ ended ──(a few s)──▶ idle
 *   watching ──press, room for another viewer──▶ (issue-link) ──▶ sharing
 *   sharing ──press──▶ (issue-link: a new link replaces the unused one) ──▶ sharing
 *
 * Ending disconnects every viewer and invalidates every link (effect 'end-session'); the
 * 'ended' screen shows for `endedScreenMs`, then 'clear-session' returns everything to idle.
 */
export interface CartLimits {
  /** A session ends this long after it started, viewers or not. */
  readonly maxSessionMs: number; // default 60 min
  /** A session ends after this long with no viewer connected (or reconnecting). */
  readonly noViewerMs: number; // default 10 min
  /** How long the 'ended' screen stays before idle. */
  readonly endedScreenMs: number; // default 4 s
}

export const defaultCartLimits: CartLimits = { maxSessionMs: 60 * 60_000, noViewerMs: 10 * 60_000, endedScreenMs: 4_000 };

/** What the cart knows about the running session (counts only, from the session manager). */
export interface ActiveSession {
  readonly startedAt: number;
  readonly viewers: number;
  readonly maxViewers: number;
  /** Since when no viewer has been connected or reconnecting; null while someone is. */
  readonly noViewerSince: number | null;
  /**
   * The place the link on screen takes, for the 'Link n / max' line: devices in plus
   * unused links out, counted when it was issued (a link that replaced unused ones keeps
   * their number, so it never reads "Link 2 / 1").
   */
  readonly linkNumber: number;
  /** Times a link moved to a new connection (a resume) this session: the sonographer sees it. */
  readonly viewerChanges: number;
}

export type CartState =
  | { readonly kind: 'idle' }
  /** A link is on screen as a QR code. The link lives only in memory, never in a log. */
  | { readonly kind: 'sharing'; readonly session: ActiveSession; readonly link: string; readonly code: string }
  | { readonly kind: 'watching'; readonly session: ActiveSession }
  | { readonly kind: 'ended'; readonly reason: EndReason; readonly at: number };

export const idleCart: CartState = { kind: 'idle' };

/** The session manager's view, as the cart needs it. */
export interface SessionCounts {
  readonly active: boolean;
  /** Viewers connected plus viewers reconnecting after a blip. */
  readonly viewers: number;
  /** Unused links still alive. */
  readonly linksOutstanding: number;
  readonly maxViewers: number;
  /** Times a link moved to a new connection (a resume) this session. */
  readonly viewerChanges: number;
}

export type CartEvent =
  | { readonly type: 'short-press' }
  | { readonly type: 'long-press' }
  /** The session manager issued a link (the answer to 'issue-link'). */
  | { readonly type: 'link-issued'; readonly link: string; readonly code: string; readonly counts: SessionCounts }
  /** The session manager refused a link (every place is bound to a device). */
  | { readonly type: 'link-refused' }
  | { readonly type: 'session-changed'; readonly counts: SessionCounts }
  | { readonly type: 'tick' };

export type CartEffect =
  /** Start a session, or add a link to the running one. Answer with link-issued / link-refused. */
  | { readonly type: 'issue-link' }
  /** Disconnect every viewer and invalidate every link. */
  | { readonly type: 'end-session'; readonly reason: EndReason }
  /** The ended screen is over: return the session manager to idle too. */
  | { readonly type: 'clear-session' };

export interface CartTransition {
  readonly state: CartState;
  readonly effects: readonly CartEffect[];
}

const stay = (state: CartState): CartTransition => ({ state, effects: [] });

function withCounts(s: ActiveSession, c: SessionCounts, now: number): ActiveSession {
  return {
    ...s,
    viewers: c.viewers,
    maxViewers: c.maxViewers,
    viewerChanges: c.viewerChanges,
    noViewerSince: c.viewers > 0 ? null : (s.noViewerSince ?? now),
  };
}

function freshSession(c: SessionCounts, now: number, linkNumber: number): ActiveSession {
  return { startedAt: now, viewers: c.viewers, maxViewers: c.maxViewers, noViewerSince: c.viewers > 0 ? null : now, linkNumber, viewerChanges: c.viewerChanges };
}

/** The place a just-issued link takes: everyone in plus every link out (it among them). */
const placeOf = (c: SessionCounts): number => c.viewers + c.linksOutstanding;

function end(reason: EndReason, now: number): CartTransition {
  return { state: { kind: 'ended', reason, at: now }, effects: [{ type: 'end-session', reason }] };
}

/** The next state and effects for one event. Pure. */
export function transition(state: CartState, event: CartEvent, now: number, limits: CartLimits = defaultCartLimits): CartTransition {
  switch (state.kind) {
    case 'idle':
      switch (event.type) {
        case 'short-press': return { state, effects: [{ type: 'issue-link' }] };
        case 'link-issued': return stay({ kind: 'sharing', session: freshSession(event.counts, now, placeOf(event.counts)), link: event.link, code: event.code });
        // Started elsewhere (POST /api/session, or at launch): no link to draw, but the
        // timeouts and the viewer count still apply.
        case 'session-changed': return event.counts.active ? stay({ kind: 'watching', session: freshSession(event.counts, now, 0) }) : stay(state);
        default: return stay(state);
      }
    case 'ended':
      switch (event.type) {
        case 'tick': return now - state.at >= limits.endedScreenMs ? { state: idleCart, effects: [{ type: 'clear-session' }] } : stay(state);
        case 'session-changed': return event.counts.active ? stay({ kind: 'watching', session: freshSession(event.counts, now, 0) }) : stay(state);
        // Presses during the ended screen are ignored: a long press's release or a
        // nervous second tap must not start a new session by accident.
        default: return stay(state);
      }
    case 'sharing':
    case 'watching': {
      const s = state.session;
      switch (event.type) {
        case 'long-press': return end('button', now);
        case 'short-press':
          // Sharing: another press replaces the link on screen (it did not scan). Watching
          // with every place held by a device: nothing to share, the press does nothing.
          if (state.kind === 'watching' && s.viewers >= s.maxViewers) return stay(state);
          return { state, effects: [{ type: 'issue-link' }] };
        case 'link-issued': {
          const session = { ...withCounts(s, event.counts, now), linkNumber: placeOf(event.counts) };
          return stay({ kind: 'sharing', session, link: event.link, code: event.code });
        }
        case 'link-refused': return stay(state);
        case 'session-changed': {
          if (!event.counts.active) return stay({ kind: 'ended', reason: 'other', at: now });
          const session = withCounts(s, event.counts, now);
          if (state.kind === 'sharing') {
            const joined = event.counts.viewers > s.viewers;
            // The link on screen expired unused: stop showing a dead QR code.
            const dead = event.counts.linksOutstanding === 0;
            return stay(joined || dead ? { kind: 'watching', session } : { ...state, session });
          }
          return stay({ kind: 'watching', session });
        }
        case 'tick':
          if (now - s.startedAt >= limits.maxSessionMs) return end('max-duration', now);
          if (s.noViewerSince !== null && now - s.noViewerSince >= limits.noViewerMs) return end('no-viewer', now);
          return stay(state);
      }
    }
  }
}

/** When the next 'tick' can change something (a timeout), or undefined in idle. */
export function nextDeadline(state: CartState, limits: CartLimits = defaultCartLimits): number | undefined {
  if (state.kind === 'idle') return undefined;
  if (state.kind === 'ended') return state.at + limits.endedScreenMs;
  const s = state.session;
  const max = s.startedAt + limits.maxSessionMs;
  return s.noViewerSince === null ? max : Math.min(max, s.noViewerSince + limits.noViewerMs);
}

/**
 * What the screen shows for a cart state and the capture condition. Capture trouble
 * takes over the screen except while a QR code is up or the session just ended: the
 * idle screen carries the signal in its status line; a watched session without a
 * picture says to check the cable.
 */
export function screenFor(state: CartState, condition: SourceCondition, now: number, configProblem?: string, maskOff = false): ScreenState {
  const sessionActive = state.kind === 'sharing' || state.kind === 'watching';
  // A settings problem (config/config-file.ts) shows whenever nothing needs the screen more:
  // idle, or a session nobody watches yet. It comes before capture trouble, which a wrong
  // setting (a device path) may be the cause of. The box runs meanwhile with the default.
  if (configProblem && (state.kind === 'idle' || (state.kind === 'watching' && state.session.viewers === 0))) {
    return { screen: 'error', problem: 'config', detail: configProblem, sessionActive };
  }
  if ((condition === 'no-device' || condition === 'error') && state.kind !== 'sharing' && state.kind !== 'ended') {
    return { screen: 'error', problem: condition === 'no-device' ? 'no-device' : 'capture-error', sessionActive };
  }
  switch (state.kind) {
    case 'idle': return { screen: 'idle', signal: condition === 'live' };
    case 'ended': return { screen: 'ended', reason: state.reason };
    case 'sharing':
      return { screen: 'sharing', link: state.link, code: state.code, linkNumber: state.session.linkNumber, maxViewers: state.session.maxViewers, ...(maskOff ? { maskOff } : {}) };
    case 'watching':
      if (condition !== 'live') return { screen: 'no-signal', sessionActive: true };
      return { screen: 'watching', viewers: state.session.viewers, maxViewers: state.session.maxViewers, elapsedMs: now - state.session.startedAt, ...(state.session.viewerChanges > 0 ? { viewerChanges: state.session.viewerChanges } : {}) };
  }
}
