/**
 * Which `Host` headers the box answers (RFC 9110 §7.2), against DNS rebinding: a page on
 * `rebind.evil.example` whose name is made to resolve to the box would otherwise be
 * same-origin with it in the browser, and read what the box serves. The browser always
 * sends the name it resolved, so refusing names the box is not called is enough.
 *
 *   viewer routes:   the box's own addresses, its public host, its TLS host name, loopback
 *   box-only routes: loopback names only (127.0.0.0/8, [::1], localhost)
 *
 * Pure but for the address list it is given. The port is not compared: a rebinding page
 * must use the box's port anyway, and links may go through a port forward.
 */

/** The host part of a Host header, lower case, without port or IPv6 brackets; null if malformed. */
export function hostName(header: string | undefined): string | null {
  if (header === undefined) return null;
  const h = header.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h);
  if (bracketed) return bracketed[1]!;
  const plain = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(h);
  if (!plain) return null;
  // A trailing dot names the same host (RFC 1034 §3.1); browsers send it as typed.
  return plain[1]!.replace(/\.$/, '');
}

/** True for a loopback name or address: what a request made on the box itself is addressed to. */
export function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

export interface HostAllowList {
  /**
   * The names and addresses the box is reached by now: its interface addresses (they
   * change with DHCP and the hotspot), the host its links name, its TLS host name.
   */
  readonly known: () => Iterable<string>;
}

/** Whether a viewer route may answer a request with this Host header. */
export function hostAllowed(header: string | undefined, allow: HostAllowList): boolean {
  const name = hostName(header);
  if (name === null) return false;
  if (isLoopbackName(name)) return true;
  for (const known of allow.known()) if (known.toLowerCase().split('%')[0]!.replace(/\.$/, '') === name) return true;
  return false;
}

/** Whether a box-only route may answer: only a loopback name (never the box's LAN address). */
export function boxOnlyHostAllowed(header: string | undefined): boolean {
  const name = hostName(header);
  return name !== null && isLoopbackName(name);
}
