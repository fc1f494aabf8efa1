import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decideEncoder, decideMjpegDecoder, gatherBoardFacts, probeBoard } from './board-probe.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./test/fixtures/boards/${name}`, import.meta.url));

describe('probeBoard on fake /sys trees', () => {
  it.each([
    ['pi4', 'Raspberry Pi 4 Model B Rev 1.5', 'v4l2-m2m', '/dev/video11', /bcm2835-codec-encode found at \/dev\/video11/],
    ['pi4-udev', 'Raspberry Pi 4 Model B Rev 1.5', 'v4l2-m2m', '/dev/sonobox/encoder', /stable encoder name/],
    ['pi5', 'Raspberry Pi 5 Model B Rev 1.0', 'software', undefined, /Raspberry Pi 5 has no H.264 encoder/],
    ['jetson-nano', 'NVIDIA Jetson Nano Developer Kit', 'v4l2-m2m', '/dev/nvhost-msenc', /libv4l2 plugin/],
    ['agx-orin-jp6', 'NVIDIA Jetson AGX Orin Developer Kit', 'v4l2-m2m', '/dev/v4l2-nvenc', /libv4l2 plugin/],
    ['orin-nano', 'NVIDIA Jetson Orin Nano Developer Kit', 'software', undefined, /Orin Nano has no hardware video encoder/],
    ['pc', 'PC (Standard PC (Q35 + ICH9, 2009))', 'software', undefined, /no hardware H.264 encoder found/],
  ])('%s', async (name, board, kind, device, reason) => {
    const p = await probeBoard(fixture(name));
    expect(p.board).toBe(board);
    expect(p.encoder.kind).toBe(kind);
    expect(p.encoder.device).toBe(device);
    expect(p.encoder.reason).toMatch(reason);
  });

  it('a missing root is an unknown board with the software encoder, not an error', async () => {
    expect(await probeBoard(fixture('does-not-exist'))).toEqual({
      board: 'unknown board',
      encoder: { kind: 'software', reason: 'no hardware H.264 encoder found; using the software encoder' },
      mjpegDecoder: { kind: 'software', reason: 'no hardware MJPEG decoder found; MJPEG is decoded by ffmpeg' },
    });
  });

  it('gathers node names without trailing newlines and the model without its NUL', async () => {
    const f = await gatherBoardFacts(fixture('pi4'));
    expect(f.model).toBe('Raspberry Pi 4 Model B Rev 1.5');
    expect(f.videoNodes).toContainEqual({ node: 'video11', name: 'bcm2835-codec-encode' });
  });
});

describe('decideEncoder edge cases', () => {
  const base = { model: undefined, dmiProduct: undefined, videoNodes: [], presentNodes: [] };
  it('Pi 4 whose codec module is not loaded says so', () => {
    const p = decideEncoder({ ...base, model: 'Raspberry Pi 4 Model B Rev 1.4' });
    expect(p.encoder).toEqual({ kind: 'software', reason: 'Raspberry Pi bcm2835-codec not found (is the bcm2835-codec module loaded?); using the software encoder' });
  });
  it('Jetson without NVIDIA nodes falls back with a hint', () => {
    expect(decideEncoder({ ...base, model: 'NVIDIA Jetson Xavier NX Developer Kit' }).encoder.reason).toMatch(/JetPack/);
  });
  it('the lowest-numbered encoder node wins when a Pi has two codec instances', () => {
    const p = decideEncoder({ ...base, model: 'Raspberry Pi 4 Model B', videoNodes: [{ node: 'video31', name: 'bcm2835-codec-encode' }, { node: 'video11', name: 'bcm2835-codec-encode' }] });
    expect(p.encoder.device).toBe('/dev/video11');
  });
});

describe('MJPEG decoder choice', () => {
  it.each([
    ['pi4', 'v4l2-m2m', '/dev/video10', /bcm2835-codec-decode found at \/dev\/video10/],
    ['pi5', 'software', undefined, /decoded by ffmpeg/],
    ['jetson-nano', 'software', undefined, /decoded by ffmpeg/],
    ['pc', 'software', undefined, /decoded by ffmpeg/],
  ])('%s', async (name, kind, device, reason) => {
    const p = await probeBoard(fixture(name));
    expect(p.mjpegDecoder?.kind).toBe(kind);
    expect(p.mjpegDecoder?.device).toBe(device);
    expect(p.mjpegDecoder?.reason).toMatch(reason);
  });
  it('the lowest-numbered decode node wins', () => {
    const f = { model: 'Raspberry Pi 4 Model B', dmiProduct: undefined, presentNodes: [], videoNodes: [{ node: 'video30', name: 'bcm2835-codec-decode' }, { node: 'video10', name: 'bcm2835-codec-decode' }] };
    expect(decideMjpegDecoder(f).device).toBe('/dev/video10');
  });
});
