/**
 * What a leaked viewer would leave behind, counted instead of guessed from RSS.
 *
 * RSS is a poor witness of a leak: glibc's arenas and V8's heap keep pages they no longer
 * use, so two runs of the same code ended 17 MB apart and a bound on "RSS after − RSS
 * before" failed CI on noise. A viewer the box forgot would instead leave things that can be
 * counted exactly: its ViewerConnection and werift peer still reachable after a full
 * collection (WeakRefs to every one ever created), its UDP sockets and timers (libuv's active
 * resources), and its share of the heap. RSS is still sampled, but judged by its slope over
 * the tail of the sweep (a leak grows with every cycle; a working set levels off).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { PendingViewer, ViewerFactory } from '../../appliance/src/webrtc/viewer-connection.js';

/** A full garbage collection (twice, a macrotask apart: WeakRefs deref'd in this job stay alive until it ends). */
export async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
}

/**
 * Wraps the box's viewer factory and holds a WeakRef to every connection and peer it makes,
 * which never keeps one alive. `leak` is the test's deliberate bug: it keeps a strong
 * reference to each connection, as a registry that is never pruned would.
 */
export class TrackedViewerFactory implements ViewerFactory {
  private readonly refs: WeakRef<object>[] = [];
  /** Strong references kept only while `leak` is on (the injected leak). */
  readonly leaked: unknown[] = [];
  leak = false;

  constructor(private readonly inner: ViewerFactory) {}

  async answer(offerSdp: string): Promise<PendingViewer> {
    const pending = await this.inner.answer(offerSdp);
    this.refs.push(new WeakRef(pending.connection));
    // The werift peer is the connection's heaviest part (ICE, DTLS, SRTP, jitter state).
    const pc = (pending.connection as unknown as { pc?: object }).pc;
    if (pc) this.refs.push(new WeakRef(pc));
    if (this.leak) this.leaked.push(pending.connection);
    return pending;
  }

  /** Connections and peers still reachable; call after collectGarbage(). */
  live(): number {
    let n = 0;
    for (const r of this.refs) if (r.deref() !== undefined) n++;
    return n;
  }

  /** How many objects have been tracked so far. */
  get created(): number {
    return this.refs.length;
  }
}

/** libuv's active resources by kind (UDPWRAP, TCPSocketWrap, Timeout, Immediate, …). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Least-squares slope of y over x (for RSS in KB against the cycle count). */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
