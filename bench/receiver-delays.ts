/**
 * Where the A/V offset comes from, as Chromium's receiver reports it (W3C webrtc-stats
 * RTCInboundRtpStreamStats, RTCAudioPlayoutStats): each track's mean jitter-buffer delay
 * over the window (Δ jitterBufferDelay / Δ jitterBufferEmittedCount), its minimum delay —
 * which includes what the A/V synchronizer asks for (libwebrtc RtpStreamsSynchronizer sets
 * it through Syncable::SetMinimumPlayoutDelay) — and the audio's playout delay after the
 * jitter buffer (Δ totalPlayoutDelay / Δ totalSamplesCount).
 */
import type { Page } from 'playwright-core';

/** Init script: keeps every RTCPeerConnection the page makes, for getStats from the bench. */
export const keepPeerConnections = (): void => {
  const Native = RTCPeerConnection;
  const kept: RTCPeerConnection[] = [];
  (globalThis as unknown as { __pcs: RTCPeerConnection[] }).__pcs = kept;
  globalThis.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      kept.push(this);
    }
  } as typeof RTCPeerConnection;
};

/** The cumulative counters, per kind, at one moment. */
export type DelayCounters = Record<'audio' | 'video', Record<string, number>>;

export async function readDelayCounters(page: Page): Promise<DelayCounters> {
  return page.evaluate(async () => {
    const pcs = (globalThis as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? [];
    const out = { audio: {} as Record<string, number>, video: {} as Record<string, number> };
    const pc = pcs.filter((p) => p.connectionState !== 'closed').at(-1);
    if (!pc) return out;
    const report = await pc.getStats();
    const byId = new Map<string, Record<string, unknown>>();
    report.forEach((s: Record<string, unknown>) => byId.set(s.id as string, s));
    for (const s of byId.values()) {
      if (s.type !== 'inbound-rtp' || (s.kind !== 'audio' && s.kind !== 'video')) continue;
      const o = out[s.kind];
      for (const k of ['jitterBufferDelay', 'jitterBufferEmittedCount', 'jitterBufferTargetDelay', 'jitterBufferMinimumDelay', 'totalProcessingDelay', 'framesDecoded', 'totalDecodeTime']) {
        if (typeof s[k] === 'number') o[k] = s[k] as number;
      }
      // The receiver's estimate of the sender-clock (NTP, ms since 1900) time it is playing
      // now, from the SRs: against the page's clock (the box's capture clock on this
      // machine) it is that track's glass-to-glass as Chromium believes it.
      if (typeof s.estimatedPlayoutTimestamp === 'number') o.believedLatencyMs = (s.timestamp as number) - (s.estimatedPlayoutTimestamp - 2_208_988_800_000);
      const playout = typeof s.playoutId === 'string' ? byId.get(s.playoutId) : undefined;
      if (playout && typeof playout.totalPlayoutDelay === 'number') {
        o.totalPlayoutDelay = playout.totalPlayoutDelay;
        o.totalSamplesCount = playout.totalSamplesCount as number;
      }
    }
    return out;
  });
}

/** Means over the window between two readings, ms (NaN where the browser gave nothing). */
export interface ReceiverDelays {
  readonly audioJitterMs: number;
  /** The jitter buffer's target: for video, libwebrtc's VCMTiming target (jitter + p95 decode + render delay), the delay the A/V synchronizer believes video has. */
  readonly audioTargetMs: number;
  readonly videoTargetMs: number;
  readonly audioMinimumMs: number;
  readonly audioPlayoutMs: number;
  readonly videoJitterMs: number;
  readonly videoMinimumMs: number;
  readonly videoProcessingMs: number;
  /** now − estimatedPlayoutTimestamp at the end of the window: each track's latency by its SR mapping. */
  readonly audioBelievedMs: number;
  readonly videoBelievedMs: number;
}

export function receiverDelays(a: DelayCounters, b: DelayCounters): ReceiverDelays {
  const mean = (kind: 'audio' | 'video', sum: string, count: string): number => {
    const n = (b[kind][count] ?? NaN) - (a[kind][count] ?? NaN);
    return n > 0 ? (((b[kind][sum] ?? NaN) - (a[kind][sum] ?? NaN)) / n) * 1000 : NaN;
  };
  return {
    audioJitterMs: mean('audio', 'jitterBufferDelay', 'jitterBufferEmittedCount'),
    audioTargetMs: mean('audio', 'jitterBufferTargetDelay', 'jitterBufferEmittedCount'),
    videoTargetMs: mean('video', 'jitterBufferTargetDelay', 'jitterBufferEmittedCount'),
    audioMinimumMs: mean('audio', 'jitterBufferMinimumDelay', 'jitterBufferEmittedCount'),
    audioPlayoutMs: mean('audio', 'totalPlayoutDelay', 'totalSamplesCount'),
    videoJitterMs: mean('video', 'jitterBufferDelay', 'jitterBufferEmittedCount'),
    videoMinimumMs: mean('video', 'jitterBufferMinimumDelay', 'jitterBufferEmittedCount'),
    videoProcessingMs: mean('video', 'totalProcessingDelay', 'framesDecoded'),
    audioBelievedMs: b.audio.believedLatencyMs ?? NaN,
    videoBelievedMs: b.video.believedLatencyMs ?? NaN,
  };
}
