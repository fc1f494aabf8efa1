/**
 * One viewer's lifecycle as a pure transition (STYLE rule 6): connecting → connected →
 * closed; closed is final. `disconnected` changes nothing by itself: the viewer keeps its
 * state through a grace period, and only a `failed` (the grace period ended, ICE or DTLS
 * failed) or `closed` ends it. werift-viewer.ts drives it from werift's connection state.
 */
import { randomBytes } from 'node:crypto';
import { ViewerState } from './viewer-connection.js';

/** 128 random bits, base64url: the WHEP resource id. */
export function newViewerId(): string {
  return randomBytes(16).toString('base64url');
}

let viewersNamed = 0;
/**
 * The name a viewer has in the log: an ordinal of this process ("#3"), never its id. The id
 * is the WHEP resource path, and a log line is not a place for anything a request names.
 */
export function newViewerLogName(): string {
  return `#${++viewersNamed}`;
}

/** Events that move a viewer's lifecycle (ViewerState). */
export type ViewerEvent = 'connected' | 'disconnected' | 'reconnected' | 'failed' | 'closed';

/** Pure lifecycle: connecting → connected → closed; closed is final. */
export function viewerTransition(state: ViewerState, event: ViewerEvent): ViewerState {
  if (state === ViewerState.closed) return state;
  switch (event) {
    case 'connected':
    case 'reconnected':
      return ViewerState.connected;
    case 'disconnected':
      return state; // stays as it was until the grace period ends (then 'failed')
    case 'failed':
    case 'closed':
      return ViewerState.closed;
  }
}
