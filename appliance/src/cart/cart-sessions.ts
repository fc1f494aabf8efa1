import { createHash } from 'node:crypto';
import type { SessionManager, SessionSnapshot } from '../sessions/session-manager.js';
import type { SessionCounts } from './cart-lifecycle.js';
import type { EndReason } from './screens.js';

/**
 * CartSessions is what the cart needs from the session manager: links, the end, the
 * counts. A narrow adapter so the cart can be tested with a fake and the manager's API
 * can move without touching the cart.
 */
export interface CartSessions {
  /** Starts a session or adds a link to the running one; the link is a full URL. */
  issueLink(): { readonly ok: true; readonly link: string; readonly code: string } | { readonly ok: false };
  /** Ends the session for everyone: viewers disconnected, links invalidated. */
  end(reason: EndReason): Promise<void>;
  /** ended → idle. */
  clear(): void;
  counts(): SessionCounts;
  onChange(listener: (counts: SessionCounts) => void): () => void;
}

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A short code for people to compare ("K7P-4QX"), derived from the token by SHA-256 so
 * it reveals nothing about the token and cannot be used in its place. The viewer page
 * can show the same code so a parent can see they opened the link on this screen.
 */
export function humanCode(token: string): string {
  const h = createHash('sha256').update('sonobox-code:' + token).digest();
  let bits = 0, acc = 0, out = '';
  for (const byte of h) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 6) {
      bits -= 5;
      out += crockford[(acc >> bits) & 31];
    }
    if (out.length >= 6) break;
    acc &= (1 << bits) - 1;
  }
  return `${out.slice(0, 3)}-${out.slice(3)}`;
}

export function countsOf(s: SessionSnapshot): SessionCounts {
  return {
    active: s.state === 'active',
    viewers: s.viewers + s.reconnecting,
    linksOutstanding: s.linksOutstanding,
    maxViewers: s.maxViewers ?? 1,
    viewerChanges: s.viewerChanges ?? 0,
  };
}

const endReasonText: Record<EndReason, string> = {
  button: 'ended with the cart button',
  'max-duration': 'maximum session time reached',
  'no-viewer': 'no viewer for too long',
  other: 'ended',
};

/**
 * Adapts the SessionManager to the cart. `linkFor(token)` builds the URL the QR code
 * carries (the HTTP layer knows the host, port and route); `onIssued` hears every link the
 * cart puts on screen (main prints it).
 */
export function sessionManagerForCart(manager: SessionManager, linkFor: (token: string) => string, onIssued: (link: string) => void = () => {}): CartSessions {
  return {
    issueLink() {
      const r = manager.start();
      if (!r.ok) return { ok: false };
      const link = linkFor(r.token);
      onIssued(link);
      return { ok: true, link, code: humanCode(r.token) };
    },
    end: (reason) => manager.end(endReasonText[reason]),
    clear: () => manager.clear(),
    counts: () => countsOf(manager.snapshot()),
    onChange: (listener) => manager.onChange((s) => listener(countsOf(s))),
  };
}
