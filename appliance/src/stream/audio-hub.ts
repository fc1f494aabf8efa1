/**
 * AudioHub fans one Opus stream out to N readers, like StreamHub does the video: each
 * packet becomes RTP once (RFC 7587, audio/opus-rtp-packetizer.ts), on the capture clock,
 * and the same unit goes to every reader. An Opus packet is one small RTP packet every
 * 20 ms with no keyframes, so there is nothing to coalesce or drop to; each reader bounds
 * its own sends (webrtc/werift-viewer.ts) and a slow one never holds the others up.
 */
import type { OpusPacket } from '../audio/audio-frame.js';
import { OpusRtpPacketizer, type OpusRtpPacketizerOptions, type OpusRtpUnit } from '../audio/opus-rtp-packetizer.js';

/** AudioReader is an entity that can read the sound (one viewer's Opus sender). */
export interface AudioReader {
  /** Sends one unit; synchronous and cheap (the reader bounds what it has in flight). */
  write(unit: OpusRtpUnit): void;
}

export class AudioHub {
  private readonly readers = new Set<AudioReader>();
  private readonly packetizer: OpusRtpPacketizer;
  private counts = { packets: 0, refused: 0 };

  constructor(o: OpusRtpPacketizerOptions = {}) {
    this.packetizer = new OpusRtpPacketizer(o);
  }

  get readerCount(): number {
    return this.readers.size;
  }

  /** Packets published, and refused as not one 20 ms Opus frame (a broken encoder). */
  get stats(): { readonly packets: number; readonly refused: number } {
    return { ...this.counts };
  }

  /** Packetizes once and hands the unit to every reader. Throws on a packet that is not one 20 ms Opus frame. */
  publish(packet: OpusPacket): void {
    let unit: OpusRtpUnit;
    try {
      unit = this.packetizer.packetize(packet);
    } catch (e) {
      this.counts.refused++;
      throw e;
    }
    this.counts.packets++;
    for (const r of this.readers) r.write(unit);
  }

  /** Adds a reader; it gets units from the next packet on. Returns its removal. */
  addReader(reader: AudioReader): () => void {
    this.readers.add(reader);
    return () => this.readers.delete(reader);
  }
}
