/**
 * Viewers that connect, receive media, then vanish without a WHEP DELETE (their werift
 * peer is closed, as when a phone drops off the network). The box must reclaim each one by
 * itself (RTCP silence / ICE failure timers in WeriftViewerFactory, shortened here), and
 * afterwards nothing a viewer owns may remain.
 *
 * The witnesses are what a leaked viewer would leave (leak-witness.ts says why RSS is not
 * one): ViewerConnections and werift peers still reachable after a full collection, UDP
 * sockets, file descriptors, libuv timers and handles, the heap after GC, and the slope of
 * RSS over the second half of the sweep (KB per cycle). Absolute RSS is logged, not judged:
 * the same code ended 158 or 175 MB from run to run while every count was back to zero.
 *
 * The detector is itself tested: the last case injects a leak (the box's factory keeps a
 * reference to every viewer while the box's own bookkeeping reports them reclaimed) and
 * asserts the detector fires. SONOBOX_TEST_LEAK_VIEWERS=1 injects it into the 1,000-cycle
 * sweep too, which must then fail.
 *
 * The issue asks for 1,000 cycles: all of them must complete. Eight run at once; BUDGET_MS
 * only bounds the sweep if the machine is far slower than this one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PacketReceiver } from '../../bench/packet-receiver.js';
import { buildHostileBox, socketCounts, type HostileBox } from './hostile-box.js';
import { TrackedViewerFactory, activeResources, collectGarbage, slope } from './leak-witness.js';

const CYCLES = 1_000;
const BUDGET_MS = 240_000;
const PARALLEL = 8;
const WARM_UP_CYCLES = 64;
/** RSS is sampled after every block; the slope is fitted over the second half of the samples. */
const BLOCK = 100;
/** Heap after GC may grow this much over the sweep (caches, JIT metadata), not per viewer. */
const HEAP_TOLERANCE_MB = 10;
/** A leaked viewer costs far more than this per cycle (see the injected leak's figures in the README's table). */
const RSS_SLOPE_LIMIT_KB_PER_CYCLE = 30;
/** Timers and immediates the box and the test keep regardless of viewers may differ by a few. */
const TIMER_TOLERANCE = 4;
/** Cycles whose connection may fail to come up (and be retried) before the sweep gives up. */
const MAX_FAILED_CYCLES = 5;
const INJECT_LEAK = process.env.SONOBOX_TEST_LEAK_VIEWERS === '1';

interface Witness {
  live: number;
  fds: number;
  udp: number;
  tcp: number;
  udpHandles: number;
  timers: number;
  heapMb: number;
  rssMb: number;
}

async function witness(tracked: TrackedViewerFactory): Promise<Witness> {
  await collectGarbage();
  const m = process.memoryUsage();
  const r = activeResources();
  return {
    live: tracked.live(),
    ...socketCounts(),
    udpHandles: r['UDPWRAP'] ?? 0,
    timers: (r['Timeout'] ?? 0) + (r['Immediate'] ?? 0),
    heapMb: m.heapUsed / 2 ** 20,
    rssMb: m.rss / 2 ** 20,
  };
}

/**
 * The witness once the last reclaimed peers are collectable: werift's close finishes on its own
 * timers, so the last few closed peers stay reachable for a moment (2 of 2,128 once). A leaked
 * viewer stays reachable for good, so waiting up to `timeoutMs` cannot hide one.
 */
async function settledWitness(tracked: TrackedViewerFactory, maxLive: number, timeoutMs = 10_000): Promise<Witness> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const w = await witness(tracked);
    if (w.live <= maxLive || Date.now() > end) return w;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Everything that says a viewer was left behind; empty when nothing was. */
function leftovers(base: Witness, after: Witness, rssSlopeKb: number | undefined): string[] {
  const found: string[] = [];
  if (after.live > base.live) found.push(`${after.live - base.live} ViewerConnections/werift peers still reachable after GC`);
  if (after.udp > base.udp) found.push(`${after.udp - base.udp} UDP sockets more than before`);
  if (after.udpHandles > base.udpHandles) found.push(`${after.udpHandles - base.udpHandles} UDP handles more than before`);
  if (after.tcp > base.tcp) found.push(`${after.tcp - base.tcp} TCP sockets more than before`);
  if (after.fds > base.fds + 2) found.push(`${after.fds - base.fds} file descriptors more than before`);
  if (after.timers > base.timers + TIMER_TOLERANCE) found.push(`${after.timers - base.timers} timers more than before`);
  if (after.heapMb > base.heapMb + HEAP_TOLERANCE_MB) found.push(`heap after GC grew ${(after.heapMb - base.heapMb).toFixed(1)} MB`);
  if (rssSlopeKb !== undefined && rssSlopeKb > RSS_SLOPE_LIMIT_KB_PER_CYCLE) found.push(`RSS grows ${rssSlopeKb.toFixed(1)} KB per cycle over the tail`);
  return found;
}

const fmt = (w: Witness): string =>
  `live ${w.live} fds ${w.fds} udp ${w.udp}/${w.udpHandles} tcp ${w.tcp} timers ${w.timers} heap ${w.heapMb.toFixed(1)} MB rss ${w.rssMb.toFixed(0)} MB`;

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe('connect/vanish cycles leave nothing behind', () => {
  let box: HostileBox;
  let tracked: TrackedViewerFactory;
  beforeAll(async () => {
    box = buildHostileBox({
      media: true,
      maxViewers: 1e6,
      limits: { failures: { windowMs: 60_000, perAddress: 1e9, global: 1e9, maxAddresses: 256 } },
      factory: { rtcpSilenceTimeoutMs: 2_000, disconnectedTimeoutMs: 1_000, connectTimeoutMs: 10_000 },
      wrapViewers: (f) => (tracked = new TrackedViewerFactory(f)),
    });
    await box.listen();
  });
  afterAll(async () => {
    await box?.stop();
  });

  async function cycle(): Promise<void> {
    const viewer = new PacketReceiver(box.base);
    try {
      await viewer.connect(box.token());
      if (!(await until(() => viewer.packets > 0, 3_000))) throw new Error('viewer received no RTP within 3 s');
    } finally {
      // Vanish: the peer goes away without DELETE (close() would send one, so bypass it).
      await (viewer as unknown as { pc?: { close(): Promise<void> } }).pc?.close();
    }
  }

  /**
   * Connections that did not come up (a 20 s ICE/DTLS timeout, seen once in 4,000 cycles on
   * this shared machine). The box must reclaim those too, so they stay in the sweep; the test
   * bounds how many there may be and logs each.
   */
  const failedCycles: string[] = [];

  /** `count` completed cycles in PARALLEL lanes, or as many as fit in `budgetMs`; returns how many completed. */
  async function runCycles(count: number, budgetMs: number): Promise<number> {
    let started = 0;
    let completed = 0;
    const t0 = Date.now();
    const lanes = Array.from({ length: PARALLEL }, async () => {
      while (started < count && Date.now() - t0 < budgetMs) {
        started++;
        try {
          await cycle();
          completed++;
        } catch (e) {
          failedCycles.push(e instanceof Error ? e.message : String(e));
          started--;
          if (failedCycles.length > MAX_FAILED_CYCLES) throw e;
        }
      }
    });
    await Promise.all(lanes);
    return completed;
  }

  /** Waits until the box has reclaimed every viewer and the sockets have closed; false if it never did. */
  async function settle(base?: Witness): Promise<boolean> {
    const reclaimed = await until(() => box.sessions.snapshot().viewers === 0 && box.hub.readerCount === 0, 20_000);
    // Idle keep-alive connections from the receivers' fetch() close within keepAliveTimeout.
    await until(() => socketCounts().tcp <= (base?.tcp ?? 0) && socketCounts().udp <= (base?.udp ?? 0), 10_000);
    return reclaimed;
  }



  it(`${CYCLES} viewers connect, receive RTP and vanish without DELETE; no viewer object, socket, timer, heap or RSS growth per cycle remains`, async () => {
    // Warm up (JIT, werift's lazy modules, the encoder, the allocator's working set at this
    // concurrency) before taking the baseline.
    await runCycles(WARM_UP_CYCLES, Number.POSITIVE_INFINITY);
    await settle();
    // The baseline too waits for the warm-up's last peers to become collectable.
    const base = await settledWitness(tracked, 0);
    tracked.leak = INJECT_LEAK;

    const t0 = Date.now();
    let done = 0;
    const rss: { x: number; y: number }[] = [];
    while (done < CYCLES && Date.now() - t0 < BUDGET_MS) {
      done += await runCycles(Math.min(BLOCK, CYCLES - done), BUDGET_MS - (Date.now() - t0));
      rss.push({ x: done, y: (await witness(tracked)).rssMb * 1024 });
    }
    const sweepMs = Date.now() - t0;
    const held = box.sessions.snapshot().viewers;

    const reclaimed = await settle(base);
    const after = await settledWitness(tracked, base.live);
    const tail = rss.slice(Math.floor(rss.length / 2));
    const rssSlopeKb = slope(tail);
    const found = leftovers(base, after, rssSlopeKb);
    console.log(
      `${done} connect/vanish cycles in ${sweepMs} ms (${PARALLEL} in parallel, ${tracked.created} viewer objects tracked${INJECT_LEAK ? ', LEAK INJECTED' : ''}); ${held} viewers held at the end of the sweep; ` +
        `baseline ${fmt(base)} → after ${fmt(after)}; RSS tail slope ${rssSlopeKb.toFixed(1)} KB/cycle over cycles ${tail[0]?.x}–${tail.at(-1)?.x} ` +
        `(RSS MB per ${BLOCK}: ${rss.map((p) => (p.y / 1024).toFixed(0)).join(' ')}); ${failedCycles.length} connections failed and were retried${failedCycles.length ? ` (${[...new Set(failedCycles)].join('; ')})` : ''}${found.length ? `; leftovers: ${found.join('; ')}` : ''}`,
    );
    expect(done).toBeGreaterThanOrEqual(CYCLES);
    expect(reclaimed).toBe(true);
    expect(found).toEqual([]);
  }, BUDGET_MS + 60_000);

  it('the detector fires on a deliberately leaked viewer (a factory that keeps a reference to each one)', async () => {
    // The box's own bookkeeping (sessions, hub readers) reports every leaked viewer reclaimed:
    // only the witnesses above can tell.
    const LEAKED = 3 * PARALLEL;
    await settle();
    const before = await settledWitness(tracked, 0);
    tracked.leak = true;
    try {
      await runCycles(LEAKED, Number.POSITIVE_INFINITY);
      expect(await settle(before)).toBe(true);
      const after = await settledWitness(tracked, before.live, 3_000);
      const found = leftovers(before, after, undefined);
      console.log(`injected leak of ${LEAKED} viewers: ${fmt(before)} → ${fmt(after)}; detector: ${found.join('; ')}`);
      expect(after.live - before.live).toBeGreaterThanOrEqual(LEAKED);
      expect(found.some((f) => f.includes('still reachable after GC'))).toBe(true);
    } finally {
      tracked.leak = false;
      tracked.leaked.length = 0;
    }
  }, 120_000);
});
