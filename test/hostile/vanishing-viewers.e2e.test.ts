/**
 * Viewers that connect, receive media, then vanish without a WHEP DELETE (their werift
 * peer is closed, as when a phone drops off the network). The box must reclaim each one by
 * itself (RTCP silence / ICE failure timers in WeriftViewerFactory, shortened here), and
 * after the sweep its RSS, file descriptors, UDP sockets, JS heap and off-heap buffers are
 * back to the baseline.
 *
 * The baseline is taken after a warm-up at the sweep's own concurrency, not after a viewer
 * or two: until the allocator's arenas and V8's heap have served eight viewers at once, RSS
 * is still climbing to its working set (with a 3-cycle warm-up the baseline wandered between
 * 120 and 157 MB from run to run of the same code while the end stayed at 164–181 MB, and a
 * bound on the difference failed CI on noise). A leak of viewers would also leave live
 * objects (heap) or Buffers (external), measured after a full collection.
 *
 * The issue asks for 1,000 cycles: all of them must complete. Eight run at once (~8 cycles/s
 * here, ~2 min); BUDGET_MS only bounds the sweep if the machine is far slower than that.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PacketReceiver } from '../../bench/packet-receiver.js';
import { buildHostileBox, socketCounts, type HostileBox } from './hostile-box.js';

const CYCLES = 1_000;
const BUDGET_MS = 240_000;
const PARALLEL = 8;
const WARM_UP_CYCLES = 64;
const RSS_TOLERANCE_MB = 40;
const HEAP_TOLERANCE_MB = 10;
const OFF_HEAP_TOLERANCE_MB = 16;

/** A full garbage collection, so memory is compared without garbage that is merely uncollected. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function memory(): { rssMb: number; heapMb: number; offHeapMb: number } {
  collectGarbage();
  const m = process.memoryUsage();
  // arrayBuffers is counted inside external; external alone is the off-heap total.
  return { rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20, offHeapMb: m.external / 2 ** 20 };
}

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
  beforeAll(async () => {
    box = buildHostileBox({
      media: true,
      maxViewers: WARM_UP_CYCLES + CYCLES + 10,
      limits: { perAddressPerMinute: 1e9, globalPerMinute: 1e9 },
      factory: { rtcpSilenceTimeoutMs: 2_000, disconnectedTimeoutMs: 1_000, connectTimeoutMs: 10_000 },
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

  /** `count` cycles in PARALLEL lanes, or as many as fit in `budgetMs`; returns how many ran. */
  async function runCycles(count: number, budgetMs: number): Promise<number> {
    let started = 0;
    const t0 = Date.now();
    const lanes = Array.from({ length: PARALLEL }, async () => {
      while (started < count && Date.now() - t0 < budgetMs) {
        started++;
        await cycle();
      }
    });
    await Promise.all(lanes);
    return started;
  }

  it(`${CYCLES} viewers connect, receive RTP and vanish without DELETE; RSS, fds, UDP sockets, heap and off-heap memory return to baseline`, async () => {
    // Warm up (JIT, werift's lazy modules, the encoder, the allocator's working set at this
    // concurrency) before taking the baseline.
    await runCycles(WARM_UP_CYCLES, Number.POSITIVE_INFINITY);
    await until(() => box.sessions.snapshot().viewers === 0, 15_000);
    // Idle keep-alive connections from the receivers' fetch() close within keepAliveTimeout.
    await until(() => socketCounts().tcp === 0, 10_000);
    const base = { ...socketCounts(), ...memory() };

    const t0 = Date.now();
    const done = await runCycles(CYCLES, BUDGET_MS);
    const sweepMs = Date.now() - t0;
    const peak = { ...socketCounts(), viewers: box.sessions.snapshot().viewers };

    const reclaimed = await until(() => box.sessions.snapshot().viewers === 0 && box.hub.readerCount === 0, 20_000);
    await until(() => socketCounts().udp <= base.udp && socketCounts().tcp <= base.tcp, 10_000);
    const after = { ...socketCounts(), ...memory() };
    console.log(
      `${done} connect/vanish cycles in ${sweepMs} ms (${PARALLEL} in parallel); at the end of the sweep ${peak.viewers} viewers still held, ${peak.udp} UDP sockets; ` +
        `baseline fds ${base.fds} udp ${base.udp} tcp ${base.tcp} rss ${base.rssMb.toFixed(0)} MB heap ${base.heapMb.toFixed(0)} MB off-heap ${base.offHeapMb.toFixed(1)} MB → after fds ${after.fds} udp ${after.udp} tcp ${after.tcp} rss ${after.rssMb.toFixed(0)} MB heap ${after.heapMb.toFixed(0)} MB off-heap ${after.offHeapMb.toFixed(1)} MB`,
    );
    expect(done).toBeGreaterThanOrEqual(CYCLES);
    expect(reclaimed).toBe(true);
    expect(after.udp).toBe(base.udp);
    expect(after.fds).toBeLessThanOrEqual(base.fds + 2);
    expect(after.tcp).toBe(base.tcp);
    expect(after.rssMb).toBeLessThan(base.rssMb + RSS_TOLERANCE_MB);
    expect(after.heapMb).toBeLessThan(base.heapMb + HEAP_TOLERANCE_MB);
    expect(after.offHeapMb).toBeLessThan(base.offHeapMb + OFF_HEAP_TOLERANCE_MB);
  }, BUDGET_MS + 60_000);
});
