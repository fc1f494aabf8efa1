/**
 * Which board this is and which H.264 encoder to use on it.
 *
 * decideEncoder() is pure: facts in, decision out, tested on fake /sys trees
 * (test/fixtures/boards/). gatherBoardFacts() is the thin reader of those facts under a
 * filesystem root ('/' on the box). Order of preference:
 *   1. /dev/sonobox/encoder, the stable name our udev rules give the encode node;
 *   2. what the board table says (data, not `if (isJetson)`): boards known to have no
 *      H.264 encoder get software even if some node looks like one;
 *      Jetsons use NVIDIA's nodes through its libv4l2 plugin (JetPack 6 /dev/v4l2-nvenc,
 *      earlier /dev/nvhost-msenc);
 *   3. a V4L2 node whose name is a known H.264 encoder (bcm2835-codec-encode on a Pi 4;
 *      found by name, never by number: it is usually /dev/video11 but not always);
 *   4. the software encoder.
 */
import { access, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface BoardFacts {
  /** /proc/device-tree/model without its trailing NUL; undefined on a PC. */
  readonly model: string | undefined;
  /** /sys/class/dmi/id/product_name, for PCs. */
  readonly dmiProduct: string | undefined;
  /** Every /sys/class/video4linux entry: node name (video11) and its 'name' attribute. */
  readonly videoNodes: readonly { readonly node: string; readonly name: string }[];
  /** Which of KNOWN_NODES exist (absolute paths as on the box). */
  readonly presentNodes: readonly string[];
}

export interface EncoderChoice {
  readonly kind: 'v4l2-m2m' | 'software';
  readonly device?: string;
  /** One human line for the log and /api/status. */
  readonly reason: string;
}

/** How MJPEG from the capture dongle is decoded: the board's M2M decoder, or ffmpeg. */
export interface DecoderChoice {
  readonly kind: 'v4l2-m2m' | 'software';
  readonly device?: string;
  readonly reason: string;
}

export interface BoardProbe {
  readonly board: string;
  readonly encoder: EncoderChoice;
  /** Set by probeBoard/decideEncoder; configurations that skip the probe may leave it out (= software). */
  readonly mjpegDecoder?: DecoderChoice;
}

/**
 * V4L2 node names that are stateful MJPEG decoders. The Pi 4's bcm2835-codec-decode takes
 * MJPEG on its OUTPUT queue; the Pi 5 has no such node (its only decoder is HEVC), and
 * Jetson's JPEG engine is not a stateful V4L2 decoder, so both decode MJPEG in software.
 */
export const MJPEG_DECODER_NODE_NAMES: readonly string[] = ['bcm2835-codec-decode'];

/** Pure: the MJPEG decoder to use, from the same facts. Lowest-numbered node wins. */
export function decideMjpegDecoder(f: BoardFacts): DecoderChoice {
  const node = f.videoNodes.filter((n) => MJPEG_DECODER_NODE_NAMES.includes(n.name)).sort((a, b) => nodeNumber(a.node) - nodeNumber(b.node))[0];
  if (node) return { kind: 'v4l2-m2m', device: `/dev/${node.node}`, reason: `${node.name} found at /dev/${node.node}` };
  return { kind: 'software', reason: 'no hardware MJPEG decoder found; MJPEG is decoded by ffmpeg' };
}

export const STABLE_ENCODER = '/dev/sonobox/encoder';
/** Device nodes whose mere existence matters to the decision. */
export const KNOWN_NODES: readonly string[] = [STABLE_ENCODER, '/dev/v4l2-nvenc', '/dev/nvhost-msenc'];

interface BoardRule {
  /** Matched against the device-tree model. */
  readonly model: RegExp;
  readonly encoder: 'none' | 'nvidia' | 'v4l2-by-name';
  readonly note: string;
}

/** The board table. First match wins; order the specific before the general. */
export const BOARDS: readonly BoardRule[] = [
  { model: /^Raspberry Pi 5/, encoder: 'none', note: 'the Raspberry Pi 5 has no H.264 encoder' },
  { model: /^Raspberry Pi Compute Module 5/, encoder: 'none', note: 'the Compute Module 5 has no H.264 encoder' },
  { model: /Jetson Orin Nano/, encoder: 'none', note: 'the Jetson Orin Nano has no hardware video encoder (NVENC)' },
  { model: /NVIDIA Jetson/, encoder: 'nvidia', note: 'NVIDIA Jetson encoder through the libv4l2 plugin' },
  { model: /^Raspberry Pi/, encoder: 'v4l2-by-name', note: 'Raspberry Pi bcm2835-codec' },
];

/** V4L2 node names ('name' in sysfs) that are stateful H.264 encoders. */
export const H264_ENCODER_NODE_NAMES: readonly string[] = ['bcm2835-codec-encode'];
/** NVIDIA's encoder nodes, newest JetPack first. */
export const NVIDIA_ENCODER_NODES: readonly string[] = ['/dev/v4l2-nvenc', '/dev/nvhost-msenc'];

/** The decisions (encoder, MJPEG decoder), from facts alone. */
export function decideEncoder(f: BoardFacts): BoardProbe {
  return { ...decideH264Encoder(f), mjpegDecoder: decideMjpegDecoder(f) };
}

function decideH264Encoder(f: BoardFacts): BoardProbe {
  const board = f.model ?? (f.dmiProduct ? `PC (${f.dmiProduct})` : 'unknown board');
  const has = (p: string): boolean => f.presentNodes.includes(p);
  if (has(STABLE_ENCODER)) {
    return { board, encoder: { kind: 'v4l2-m2m', device: STABLE_ENCODER, reason: `udev's stable encoder name ${STABLE_ENCODER} is present` } };
  }
  const rule = f.model ? BOARDS.find((r) => r.model.test(f.model!)) : undefined;
  if (rule?.encoder === 'none') return { board, encoder: { kind: 'software', reason: `${rule.note}; using the software encoder` } };
  if (rule?.encoder === 'nvidia') {
    const node = NVIDIA_ENCODER_NODES.find(has);
    if (node) return { board, encoder: { kind: 'v4l2-m2m', device: node, reason: `${rule.note} (${node})` } };
    return { board, encoder: { kind: 'software', reason: `Jetson without ${NVIDIA_ENCODER_NODES.join(' or ')} (is JetPack's multimedia API installed?); using the software encoder` } };
  }
  const byName = f.videoNodes.filter((n) => H264_ENCODER_NODE_NAMES.includes(n.name)).sort((a, b) => nodeNumber(a.node) - nodeNumber(b.node))[0];
  if (byName) {
    return { board, encoder: { kind: 'v4l2-m2m', device: `/dev/${byName.node}`, reason: `${byName.name} found at /dev/${byName.node}` } };
  }
  const why = rule ? `${rule.note} not found (is the bcm2835-codec module loaded?)` : 'no hardware H.264 encoder found';
  return { board, encoder: { kind: 'software', reason: `${why}; using the software encoder` } };
}

const nodeNumber = (node: string): number => Number(/\d+$/.exec(node)?.[0] ?? 1e9);

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'latin1')).replace(/\0+$/, '').trim();
  } catch {
    return undefined;
  }
}

/** Reads the facts under `root` ('/' on the box; a fixture directory in tests). */
export async function gatherBoardFacts(root = '/'): Promise<BoardFacts> {
  const v4lDir = join(root, 'sys/class/video4linux');
  let entries: string[] = [];
  try {
    entries = (await readdir(v4lDir)).sort();
  } catch {
    entries = [];
  }
  const videoNodes = [];
  for (const node of entries) {
    const name = await readText(join(v4lDir, node, 'name'));
    if (name !== undefined) videoNodes.push({ node, name });
  }
  const presentNodes: string[] = [];
  for (const p of KNOWN_NODES) {
    try {
      await access(join(root, p));
      presentNodes.push(p);
    } catch {
      /* absent */
    }
  }
  return {
    model: await readText(join(root, 'proc/device-tree/model')),
    dmiProduct: await readText(join(root, 'sys/class/dmi/id/product_name')),
    videoNodes,
    presentNodes,
  };
}

/** The board and the encoder to use on it. */
export async function probeBoard(root = '/'): Promise<BoardProbe> {
  return decideEncoder(await gatherBoardFacts(root));
}
