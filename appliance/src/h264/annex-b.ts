/**
 * Annex-B byte streams (ITU-T H.264 Annex B.2): NAL units separated by start codes
 * `00 00 01` or `00 00 00 01`. Zero bytes before a start code are trailing_zero_8bits
 * (or the leading zero of a 4-byte code) and belong to no NAL unit.
 *
 *   ... 00 00 00 01 | NAL header | payload ... 00 00 01 | NAL header | ...
 *
 * NAL header (§7.3.1): |F(1)|NRI(2)|Type(5)|
 */

/** nal_unit_type values this box cares about (H.264 Table 7-1). */
export const NalType = {
  slice: 1,
  idr: 5,
  sei: 6,
  sps: 7,
  pps: 8,
  aud: 9,
  endOfSequence: 10,
  endOfStream: 11,
  filler: 12,
} as const;

/** nal_unit_type of a NAL unit without start code; -1 for an empty buffer. */
export function nalType(nal: Uint8Array): number {
  return nal.length === 0 ? -1 : nal[0]! & 0x1f;
}

export function isIdr(nal: Uint8Array): boolean {
  return nalType(nal) === NalType.idr;
}

/** A coded slice (VCL NAL unit, Table 7-1 types 1–5): what makes an access unit a picture. */
export function isSlice(nal: Uint8Array): boolean {
  const t = nalType(nal);
  return t >= NalType.slice && t <= NalType.idr;
}

export function isParameterSet(nal: Uint8Array): boolean {
  const t = nalType(nal);
  return t === NalType.sps || t === NalType.pps;
}

/**
 * Splits an Annex-B byte stream into NAL units (views into `data`, no copies), without
 * start codes and without trailing zero bytes. Bytes before the first start code are
 * ignored (a stream cut mid-NAL); an empty result means no start code was found.
 */
export function splitAnnexB(data: Buffer): Buffer[] {
  const nalus: Buffer[] = [];
  let nalStart = -1;
  let i = 0;
  const n = data.length;
  while (i + 2 < n) {
    // Skip fast: a start code needs data[i+2] in {0,1}; if it is >1 no code starts at i, i+1 or i+2.
    const c = data[i + 2]!;
    if (c > 1) {
      i += 3;
      continue;
    }
    if (data[i] === 0 && data[i + 1] === 0 && c === 1) {
      if (nalStart >= 0) nalus.push(trimTrailingZeros(data, nalStart, i));
      nalStart = i + 3;
      i += 3;
      continue;
    }
    i++;
  }
  if (nalStart >= 0) nalus.push(trimTrailingZeros(data, nalStart, n));
  return nalus.filter((nal) => nal.length > 0);
}

function trimTrailingZeros(data: Buffer, start: number, end: number): Buffer {
  let e = end;
  while (e > start && data[e - 1] === 0) e--;
  return data.subarray(start, e);
}

/** Joins NAL units into an Annex-B stream with 4-byte start codes (for tests and tools). */
export function joinAnnexB(nalus: readonly Uint8Array[]): Buffer {
  const parts: Uint8Array[] = [];
  for (const nal of nalus) parts.push(START_CODE, nal);
  return Buffer.concat(parts);
}
const START_CODE = Buffer.from([0, 0, 0, 1]);

/** The first three bytes of an SPS RBSP (§7.3.2.1.1), i.e. what `profile-level-id` carries. */
export interface SpsProfile {
  readonly profileIdc: number;
  /** constraint_set0..5 flags and two reserved bits, as one byte (the "e0" of 42e01f). */
  readonly constraintFlags: number;
  readonly levelIdc: number;
  /** Six hex digits, as in the SDP fmtp `profile-level-id` (RFC 6184 §8.1). */
  readonly profileLevelId: string;
  /** profile_idc 66 with constraint_set1 (RFC 6184 Table 5: Constrained Baseline). */
  readonly constrainedBaseline: boolean;
}

/**
 * Reads profile_idc, the constraint flags and level_idc from an SPS NAL unit (with its
 * one-byte header). Only the first bytes are read, so emulation prevention cannot
 * interfere: 0x000003 cannot occur within them unless profile_idc and flags are both 0,
 * which no valid profile has. Throws on anything that is not an SPS of at least 4 bytes.
 */
export function readSpsProfile(sps: Uint8Array): SpsProfile {
  if (nalType(sps) !== NalType.sps) {
    throw new Error(`expected an SPS NAL unit (type 7), got type ${nalType(sps)}`);
  }
  if (sps.length < 4) throw new Error(`SPS too short: ${sps.length} bytes, need at least 4`);
  const profileIdc = sps[1]!;
  const constraintFlags = sps[2]!;
  const levelIdc = sps[3]!;
  const hex = (v: number): string => v.toString(16).padStart(2, '0');
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    profileLevelId: hex(profileIdc) + hex(constraintFlags) + hex(levelIdc),
    constrainedBaseline: profileIdc === 66 && (constraintFlags & 0x40) !== 0,
  };
}
