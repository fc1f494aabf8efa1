/**
 * Seeded mutations of a real SDP offer for fuzzing: byte flips (any byte, so non-UTF-8
 * too), line deletions and duplications, truncation, value swaps between lines, and
 * junk lines. The same seed always gives the same offers, so a failure can be replayed.
 */

/** mulberry32: a small, fast, seeded PRNG (not for secrets). Returns [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const MUTATIONS = ['byte-flip', 'delete-line', 'duplicate-line', 'truncate', 'swap-values', 'swap-lines', 'junk-line'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** One mutated offer: its bytes and the mutations that made it. */
export interface Mutant {
  readonly bytes: Buffer;
  readonly applied: readonly Mutation[];
}

function splitLines(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0a) {
      out.push(b.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < b.length) out.push(b.subarray(start));
  return out;
}

function mutateOnce(b: Buffer, m: Mutation, rand: () => number): Buffer {
  const pick = (n: number): number => Math.floor(rand() * n);
  switch (m) {
    case 'byte-flip': {
      if (b.length === 0) return b;
      const c = Buffer.from(b);
      c[pick(c.length)] = pick(256);
      return c;
    }
    case 'truncate':
      return b.subarray(0, pick(b.length + 1));
    case 'junk-line': {
      const lines = splitLines(b);
      const junk = Buffer.from(Array.from({ length: 1 + pick(40) }, () => pick(256)));
      lines.splice(pick(lines.length + 1), 0, Buffer.concat([junk, Buffer.from('\r\n')]));
      return Buffer.concat(lines);
    }
    default: {
      const lines = splitLines(b);
      if (lines.length < 2) return b;
      const i = pick(lines.length);
      const j = pick(lines.length);
      if (m === 'delete-line') lines.splice(i, 1);
      else if (m === 'duplicate-line') lines.splice(j, 0, lines[i]!);
      else if (m === 'swap-lines') [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      else {
        // swap-values: exchange what follows the first ':' (or '=') of two lines.
        const split = (l: Buffer): [Buffer, Buffer] => {
          let k = l.indexOf(0x3a);
          if (k < 0) k = l.indexOf(0x3d);
          return k < 0 ? [l, Buffer.alloc(0)] : [l.subarray(0, k + 1), l.subarray(k + 1)];
        };
        const [hi, vi] = split(lines[i]!);
        const [hj, vj] = split(lines[j]!);
        lines[i] = Buffer.concat([hi, vj]);
        lines[j] = Buffer.concat([hj, vi]);
      }
      return Buffer.concat(lines);
    }
  }
}

/** `count` mutants of `offer`, 1–3 mutations each, from `seed`. */
export function* mutants(offer: string, seed: number, count: number): Generator<Mutant> {
  const rand = seededRandom(seed);
  const base = Buffer.from(offer, 'utf8');
  for (let n = 0; n < count; n++) {
    let b: Buffer = base;
    const applied: Mutation[] = [];
    const k = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < k; i++) {
      const m = MUTATIONS[Math.floor(rand() * MUTATIONS.length)]!;
      applied.push(m);
      b = mutateOnce(b, m, rand);
    }
    yield { bytes: b, applied };
  }
}
