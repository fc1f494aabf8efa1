import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProtectionProfileAeadAes128Gcm, ProtectionProfileAes128CmHmacSha1_80, RtcpReceiverInfo, RtcpRrPacket, SrtcpSession } from 'werift';
import { SrtcpReplayList, srtcpIndexOf, watchSrtcpLiveness } from './srtcp-liveness.js';

/** A phone's and a box's SRTCP sessions sharing keys, as DTLS-SRTP would make them (werift's own crypto). */
function pair(profile: number): { phone: SrtcpSession; box: SrtcpSession } {
  const keyLength = 16;
  const saltLength = profile === ProtectionProfileAeadAes128Gcm ? 12 : 14;
  const a = { key: randomBytes(keyLength), salt: randomBytes(saltLength) };
  const b = { key: randomBytes(keyLength), salt: randomBytes(saltLength) };
  const phone = new SrtcpSession({ profile: profile as 1, keys: { localMasterKey: a.key, localMasterSalt: a.salt, remoteMasterKey: b.key, remoteMasterSalt: b.salt } });
  const box = new SrtcpSession({ profile: profile as 1, keys: { localMasterKey: b.key, localMasterSalt: b.salt, remoteMasterKey: a.key, remoteMasterSalt: a.salt } });
  return { phone, box };
}

const receiverReport = (ssrc: number): Buffer => new RtcpRrPacket({ ssrc, reports: [new RtcpReceiverInfo({ ssrc: 0x1234, fractionLost: 0, packetsLost: 0, highestSequence: 7, jitter: 0, lsr: 0, dlsr: 0 })] }).serialize();

/** A stand-in for werift's RTCDtlsTransport: the two fields the watcher reads, and its key update. */
function transport(profile: number, box: SrtcpSession): { srtcp: SrtcpSession; dtls: { srtp: { srtpProfile: number } }; updateSrtpSession: () => void; next: SrtcpSession | null } {
  const t = {
    srtcp: box,
    dtls: { srtp: { srtpProfile: profile } },
    next: null as SrtcpSession | null,
    updateSrtpSession(): void {
      if (t.next) t.srtcp = t.next;
    },
  };
  return t;
}

describe('srtcpIndexOf', () => {
  it.each([
    { name: 'AES-CM / HMAC-SHA1-80', profile: ProtectionProfileAes128CmHmacSha1_80 },
    { name: 'AEAD AES-128-GCM', profile: ProtectionProfileAeadAes128Gcm },
  ])('reads the sender and the index (E bit masked) of real $name packets', ({ profile }) => {
    const { phone } = pair(profile);
    const first = phone.encrypt(receiverReport(0xdeadbeef));
    const second = phone.encrypt(receiverReport(0xdeadbeef));
    expect(srtcpIndexOf(first, profile)).toEqual({ ssrc: 0xdeadbeef, index: expect.any(Number) });
    expect(srtcpIndexOf(second, profile)!.index).toBe(srtcpIndexOf(first, profile)!.index + 1);
  });

  it('hand-made bytes: index before an 80-bit tag, E bit set', () => {
    const p = Buffer.alloc(8 + 4 + 10);
    p.writeUInt32BE(0x01020304, 4);
    p.writeUInt32BE(0x80000005, 8);
    expect(srtcpIndexOf(p, 0x0001)).toEqual({ ssrc: 0x01020304, index: 5 });
    const short = Buffer.alloc(8 + 4 + 4); // HMAC-SHA1-32: a 4-byte tag
    short.writeUInt32BE(7, 4);
    short.writeUInt32BE(0xffffffff, 8);
    expect(srtcpIndexOf(short, 0x0002)).toEqual({ ssrc: 7, index: 0x7fffffff });
    const gcm = Buffer.alloc(8 + 16 + 4); // GCM: the tag is inside, the index is last
    gcm.writeUInt32BE(8, 4);
    gcm.writeUInt32BE(0x80000009, 24);
    expect(srtcpIndexOf(gcm, 0x0007)).toEqual({ ssrc: 8, index: 9 });
  });

  it('refuses packets too short for a header, an index and a tag, and unknown profiles', () => {
    expect(srtcpIndexOf(Buffer.alloc(21), 0x0001)).toBeNull();
    expect(srtcpIndexOf(Buffer.alloc(64), 0x9999)).toBeNull();
  });
});

describe('SrtcpReplayList', () => {
  it('takes each index once, in rising order, per sender', () => {
    const l = new SrtcpReplayList();
    expect([l.fresh(1, 1), l.fresh(1, 2), l.fresh(1, 2), l.fresh(1, 1), l.fresh(2, 1), l.fresh(1, 3)]).toEqual([true, true, false, false, true, true]);
  });

  it('remembers at most its number of senders: a peer cannot grow it', () => {
    const l = new SrtcpReplayList(2);
    expect([l.fresh(1, 1), l.fresh(2, 1), l.fresh(3, 1), l.fresh(1, 2)]).toEqual([true, true, false, true]);
  });
});

describe('watchSrtcpLiveness', () => {
  it('counts an authenticated packet as heard; its replay decrypts to nothing and changes nothing', () => {
    const { phone, box } = pair(ProtectionProfileAes128CmHmacSha1_80);
    const t = transport(ProtectionProfileAes128CmHmacSha1_80, box);
    let clock = 100;
    const lastHeardAt = watchSrtcpLiveness(t, () => clock);
    expect(lastHeardAt()).toBeNull();
    const rr = receiverReport(0xabc);
    const packet = phone.encrypt(rr);
    expect(Buffer.compare(t.srtcp.decrypt(packet), rr)).toBe(0);
    expect(lastHeardAt()).toBe(100);
    clock = 5_000;
    expect(t.srtcp.decrypt(Buffer.from(packet))).toHaveLength(0); // a sniffer's copy
    expect(lastHeardAt()).toBe(100);
    t.srtcp.decrypt(phone.encrypt(rr));
    expect(lastHeardAt()).toBe(5_000);
  });

  it('a forged packet (tag wrong) still throws as in werift, and is not heard', () => {
    const { phone, box } = pair(ProtectionProfileAes128CmHmacSha1_80);
    const t = transport(ProtectionProfileAes128CmHmacSha1_80, box);
    const lastHeardAt = watchSrtcpLiveness(t, () => 1);
    const forged = Buffer.from(phone.encrypt(receiverReport(1)));
    forged[forged.length - 1]! ^= 1;
    expect(() => t.srtcp.decrypt(forged)).toThrow();
    expect(lastHeardAt()).toBeNull();
  });

  it('keeps watching after the transport makes a new SRTCP session (updateSrtpSession)', () => {
    const first = pair(ProtectionProfileAes128CmHmacSha1_80);
    const second = pair(ProtectionProfileAes128CmHmacSha1_80);
    const t = transport(ProtectionProfileAes128CmHmacSha1_80, first.box);
    let clock = 1;
    const lastHeardAt = watchSrtcpLiveness(t, () => clock);
    t.next = second.box;
    t.updateSrtpSession();
    clock = 2;
    t.srtcp.decrypt(second.phone.encrypt(receiverReport(9)));
    expect(lastHeardAt()).toBe(2);
  });

  it('with a profile it cannot read, RTCP still flows (NACK, PLI) but nothing counts as heard', () => {
    const { phone, box } = pair(ProtectionProfileAes128CmHmacSha1_80);
    const t = transport(ProtectionProfileAes128CmHmacSha1_80, box);
    t.dtls.srtp.srtpProfile = 0x9999;
    const lastHeardAt = watchSrtcpLiveness(t, () => 1);
    const rr = receiverReport(3);
    expect(Buffer.compare(t.srtcp.decrypt(phone.encrypt(rr)), rr)).toBe(0);
    expect(lastHeardAt()).toBeNull();
  });
});
