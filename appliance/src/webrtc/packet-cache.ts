/**
 * The RTP packets of each access unit, built once per extension plan and shared by every
 * viewer with that plan, and the one RTP packet of each Opus unit, shared by every viewer (werift's RTCRtpSender.sendRtp clones what it sends, so one packet
 * object serves many viewers; field notes). A plan is the set of header-extension ids a
 * viewer's offer chose: most viewers share one, so most units are built once.
 */
import { RtpHeader, RtpPacket } from 'werift';
import type { OpusRtpUnit } from '../audio/opus-rtp-packetizer.js';
import type { StreamUnit } from '../stream/stream-hub.js';
import { serializeAbsCaptureTime, serializePlayoutDelay } from './rtp-header-extensions.js';

/** Extension ids and bytes one viewer's packets carry; viewers with equal keys share packets. */
export interface ExtensionPlan {
  readonly key: string;
  readonly playoutDelayId: number | undefined;
  readonly absCaptureTimeId: number | undefined;
}

/** The plan for the extension ids an offer chose (offer-check.ts CheckedOffer.extensionIds). */
export function extensionPlan(ids: { readonly playoutDelay?: number; readonly absCaptureTime?: number }): ExtensionPlan {
  return {
    playoutDelayId: ids.playoutDelay,
    absCaptureTimeId: ids.absCaptureTime,
    key: `${ids.playoutDelay ?? '-'}:${ids.absCaptureTime ?? '-'}`,
  };
}

export class PacketCache {
  private readonly playoutDelay: Buffer;
  /** Weak: a unit's packets go when the hub and every viewer queue have let go of it. */
  private readonly byUnit = new WeakMap<StreamUnit, Map<string, RtpPacket[]>>();
  private readonly byAudioUnit = new WeakMap<OpusRtpUnit, RtpPacket>();

  constructor(playoutDelay: { readonly minMs: number; readonly maxMs: number }) {
    this.playoutDelay = serializePlayoutDelay(playoutDelay.minMs, playoutDelay.maxMs);
  }

  /** The RTP packets of `unit` for one extension plan; built once, shared by viewers. */
  packetsFor(unit: StreamUnit, plan: ExtensionPlan): RtpPacket[] {
    let byPlan = this.byUnit.get(unit);
    if (!byPlan) this.byUnit.set(unit, (byPlan = new Map()));
    let packets = byPlan.get(plan.key);
    if (packets) return packets;
    const absCaptureTime = plan.absCaptureTimeId !== undefined ? serializeAbsCaptureTime(unit.captureTimeMs) : undefined;
    packets = unit.packets.map((p, i) => {
      const extensions: { id: number; payload: Buffer }[] = [];
      // playout-delay on every packet: libwebrtc reads it from whichever packet starts the
      // assembled frame and keeps the last value it saw, so a lost first packet or a
      // viewer that joins mid-stream must still find it; 4 bytes a packet.
      if (plan.playoutDelayId !== undefined) extensions.push({ id: plan.playoutDelayId, payload: this.playoutDelay });
      // abs-capture-time on the first packet of each frame, as libwebrtc's own sender does;
      // the value is per frame, so repeating it would only cost 9 bytes a packet.
      if (i === 0 && absCaptureTime) extensions.push({ id: plan.absCaptureTimeId!, payload: absCaptureTime });
      return new RtpPacket(
        new RtpHeader({
          // payloadType and ssrc are rewritten per viewer by RTCRtpSender.dispatchRtp.
          sequenceNumber: (unit.firstSequenceNumber + i) & 0xffff,
          timestamp: unit.rtpTimestamp,
          marker: p.marker,
          extensions,
        }),
        p.payload,
      );
    });
    byPlan.set(plan.key, packets);
    return packets;
  }

  /**
   * The RTP packet of one Opus unit (RFC 7587: one packet, no header extensions), built
   * once and shared by every viewer; payload type and SSRC are rewritten per viewer by
   * RTCRtpSender.dispatchRtp, like the video's.
   */
  audioPacketFor(unit: OpusRtpUnit): RtpPacket {
    let packet = this.byAudioUnit.get(unit);
    if (!packet) {
      packet = new RtpPacket(new RtpHeader({ sequenceNumber: unit.sequenceNumber, timestamp: unit.timestamp, marker: unit.marker }), unit.payload);
      this.byAudioUnit.set(unit, packet);
    }
    return packet;
  }
}
