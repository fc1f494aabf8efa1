/**
 * Test support: the strongest frequencies in a block of samples (radix-2 FFT, Hann
 * window, parabolic interpolation between bins), for "the tone that went in comes out".
 */

function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const ar = re[i + k + len / 2]!;
        const ai = im[i + k + len / 2]!;
        const xr = ar * wr - ai * wi;
        const xi = ar * wi + ai * wr;
        re[i + k + len / 2] = re[i + k]! - xr;
        im[i + k + len / 2] = im[i + k]! - xi;
        re[i + k] = re[i + k]! + xr;
        im[i + k] = im[i + k]! + xi;
      }
    }
  }
}

/** Peaks of the magnitude spectrum of `samples[from … from+n)` (n a power of two), strongest first. */
export function spectralPeaks(samples: ArrayLike<number>, rate: number, n = 16_384, from = 0, count = 1): { hz: number; level: number }[] {
  if (samples.length < from + n) throw new Error(`need ${n} samples from ${from}, have ${samples.length}`);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n; i++) re[i] = samples[from + i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
  fft(re, im);
  const mag = new Float64Array(n / 2);
  for (let i = 0; i < n / 2; i++) mag[i] = Math.hypot(re[i]!, im[i]!);
  const peaks: { hz: number; level: number }[] = [];
  for (let i = 2; i < n / 2 - 1; i++) {
    if (mag[i]! > mag[i - 1]! && mag[i]! >= mag[i + 1]!) {
      const a = Math.log(mag[i - 1]! + 1e-9), b = Math.log(mag[i]! + 1e-9), c = Math.log(mag[i + 1]! + 1e-9);
      const shift = (0.5 * (a - c)) / (a - 2 * b + c);
      peaks.push({ hz: ((i + shift) * rate) / n, level: mag[i]! });
    }
  }
  return peaks.sort((x, y) => y.level - x.level).slice(0, count);
}

/** The single strongest frequency, Hz. */
export const dominantHz = (samples: ArrayLike<number>, rate = 48_000, from = 0): number => spectralPeaks(samples, rate, 16_384, from)[0]!.hz;

/** S16LE mono tone, `seconds` long, at `amplitude` of full scale. */
export function tone(hz: number, seconds: number, amplitude = 0.5, rate = 48_000, channels = 1): Buffer {
  const n = Math.round(seconds * rate);
  const b = Buffer.alloc(n * 2 * channels);
  for (let i = 0; i < n; i++) {
    const v = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / rate));
    for (let c = 0; c < channels; c++) b.writeInt16LE(v, (i * channels + c) * 2);
  }
  return b;
}
