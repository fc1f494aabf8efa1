/**
 * The slice of the V4L2 user-space ABI (linux/videodev2.h, linux/v4l2-controls.h) that a
 * stateful memory-to-memory encoder needs, as constants and pure struct builders/readers
 * over plain Buffers. No I/O: m2m-device.ts hands these Buffers to v4l2_ioctl.
 *
 * Layouts are those of LP64 Linux (x86_64, arm64: every board we target runs a 64-bit
 * kernel and user space). A 32-bit ARM user space has a different v4l2_buffer (88 → 68
 * bytes) and is refused by assertLp64(). Offsets are checked against libv4l2-ts's own
 * struct definitions and its natively computed ioctl numbers in m2m-abi.test.ts.
 */

/** enum v4l2_buf_type */
export const BufType = {
  videoCapture: 1,
  videoOutput: 2,
  videoCaptureMplane: 9,
  videoOutputMplane: 10,
} as const;

/** enum v4l2_memory */
export const Memory = { mmap: 1, userptr: 2, dmabuf: 4 } as const;
export type MemoryKind = 'mmap' | 'dmabuf';
export const memoryCode = (m: MemoryKind): number => (m === 'mmap' ? Memory.mmap : Memory.dmabuf);

/** V4L2_CAP_* (struct v4l2_capability.capabilities / device_caps) */
export const Cap = {
  videoCapture: 0x1,
  videoOutput: 0x2,
  videoCaptureMplane: 0x1000,
  videoOutputMplane: 0x2000,
  videoM2mMplane: 0x4000,
  videoM2m: 0x8000,
  streaming: 0x0400_0000,
  deviceCaps: 0x8000_0000,
} as const;

/** V4L2_BUF_FLAG_* */
export const BufFlag = {
  mapped: 0x1,
  queued: 0x2,
  done: 0x4,
  keyframe: 0x8,
  pframe: 0x10,
  bframe: 0x20,
  error: 0x40,
  last: 0x10_0000,
} as const;

/** V4L2_ENC_CMD_* for VIDIOC_ENCODER_CMD */
export const EncCmd = { start: 0, stop: 1 } as const;

/** V4L2_PIX_FMT_*: little-endian four-character codes. */
export function fourcc(code: string): number {
  if (code.length !== 4) throw new Error(`a fourcc has four characters (got "${code}")`);
  return (code.charCodeAt(0) | (code.charCodeAt(1) << 8) | (code.charCodeAt(2) << 16) | (code.charCodeAt(3) << 24)) >>> 0;
}
export function fourccText(value: number): string {
  return String.fromCharCode(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
}
export const PixFmt = {
  h264: fourcc('H264'),
  fwht: fourcc('FWHT'),
  yuv420: fourcc('YU12'), // I420: Y, then U, then V
  mjpeg: fourcc('MJPG'),
  jpeg: fourcc('JPEG'),
  nv12: fourcc('NV12'),
  yuv420m: fourcc('YM12'), // I420 in three memory planes (multi-planar only)
  nv12m: fourcc('NM12'),
} as const;

/** Control IDs (linux/v4l2-controls.h). V4L2_CID_CODEC_BASE = V4L2_CTRL_CLASS_CODEC | 0x900. */
const CODEC_BASE = 0x0099_0900;
export const Cid = {
  bFrames: CODEC_BASE + 202,
  gopSize: CODEC_BASE + 203,
  bitrateMode: CODEC_BASE + 206,
  bitrate: CODEC_BASE + 207,
  repeatSeqHeader: CODEC_BASE + 226,
  forceKeyFrame: CODEC_BASE + 229,
  fwhtIFrameQp: CODEC_BASE + 290,
  fwhtPFrameQp: CODEC_BASE + 291,
  h264MinQp: CODEC_BASE + 353,
  h264MaxQp: CODEC_BASE + 354,
  h264IPeriod: CODEC_BASE + 358,
  h264Level: CODEC_BASE + 359,
  h264Profile: CODEC_BASE + 363,
  prependSpsPpsToIdr: CODEC_BASE + 644,
} as const;

/** enum v4l2_mpeg_video_bitrate_mode */
export const BitrateMode = { vbr: 0, cbr: 1 } as const;
/** enum v4l2_mpeg_video_h264_profile */
export const H264Profile = { baseline: 0, constrainedBaseline: 1, main: 2, high: 4 } as const;
/** enum v4l2_mpeg_video_h264_level: index order of Table A-1 (1, 1b, 1.1 … 5.2). */
export const H264LevelCode: Readonly<Record<string, number>> = {
  '1.0': 0, '1b': 1, '1.1': 2, '1.2': 3, '1.3': 4, '2.0': 5, '2.1': 6, '2.2': 7, '3.0': 8, '3.1': 9,
  '3.2': 10, '4.0': 11, '4.1': 12, '4.2': 13, '5.0': 14, '5.1': 15, '5.2': 16,
};

// ---- ioctl numbers: _IOC(dir, 'V', nr, size) from asm-generic/ioctl.h -------------------

const IOC_WRITE = 1;
const IOC_READ = 2;
function ioc(dir: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (0x56 << 8) | nr) >>> 0;
}

export const SIZE = {
  capability: 104,
  fmtdesc: 64,
  format: 208,
  requestbuffers: 20,
  buffer: 88,
  plane: 64,
  exportbuffer: 64,
  streamparm: 204,
  control: 8,
  queryctrl: 68,
  encoderCmd: 40,
  decoderCmd: 72,
  eventSubscription: 32,
  event: 136,
} as const;

export const Ioctl = {
  querycap: ioc(IOC_READ, 0, SIZE.capability),
  enumFmt: ioc(IOC_READ | IOC_WRITE, 2, SIZE.fmtdesc),
  gFmt: ioc(IOC_READ | IOC_WRITE, 4, SIZE.format),
  sFmt: ioc(IOC_READ | IOC_WRITE, 5, SIZE.format),
  reqbufs: ioc(IOC_READ | IOC_WRITE, 8, SIZE.requestbuffers),
  querybuf: ioc(IOC_READ | IOC_WRITE, 9, SIZE.buffer),
  qbuf: ioc(IOC_READ | IOC_WRITE, 15, SIZE.buffer),
  expbuf: ioc(IOC_READ | IOC_WRITE, 16, SIZE.exportbuffer),
  dqbuf: ioc(IOC_READ | IOC_WRITE, 17, SIZE.buffer),
  streamon: ioc(IOC_WRITE, 18, 4),
  streamoff: ioc(IOC_WRITE, 19, 4),
  gParm: ioc(IOC_READ | IOC_WRITE, 21, SIZE.streamparm),
  sParm: ioc(IOC_READ | IOC_WRITE, 22, SIZE.streamparm),
  gCtrl: ioc(IOC_READ | IOC_WRITE, 27, SIZE.control),
  sCtrl: ioc(IOC_READ | IOC_WRITE, 28, SIZE.control),
  queryctrl: ioc(IOC_READ | IOC_WRITE, 36, SIZE.queryctrl),
  encoderCmd: ioc(IOC_READ | IOC_WRITE, 77, SIZE.encoderCmd),
  dqevent: ioc(IOC_READ, 89, SIZE.event),
  subscribeEvent: ioc(IOC_WRITE, 90, SIZE.eventSubscription),
  decoderCmd: ioc(IOC_READ | IOC_WRITE, 96, SIZE.decoderCmd),
} as const;

/** Refuses a user space whose struct layouts differ from the ones coded here. */
export function assertLp64(arch: string = process.arch): void {
  if (arch !== 'x64' && arch !== 'arm64') {
    throw new Error(`V4L2 M2M plumbing is written for 64-bit user space (x64, arm64); this is ${arch}. Use a 64-bit OS image.`);
  }
}

const cString = (b: Buffer, at: number, len: number): string => {
  const s = b.subarray(at, at + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? len : nul).toString('latin1');
};

// ---- struct v4l2_capability ------------------------------------------------------------

export interface Capability {
  readonly driver: string;
  readonly card: string;
  readonly busInfo: string;
  /** device_caps when the driver reports it (V4L2_CAP_DEVICE_CAPS), else capabilities. */
  readonly caps: number;
}
export function parseCapability(b: Buffer): Capability {
  const capabilities = b.readUInt32LE(84);
  const deviceCaps = b.readUInt32LE(88);
  return {
    driver: cString(b, 0, 16),
    card: cString(b, 16, 32),
    busInfo: cString(b, 48, 32),
    caps: capabilities & Cap.deviceCaps ? deviceCaps : capabilities,
  };
}

/** Which buffer API an M2M node speaks, from its caps; undefined when it is no M2M node. */
export function m2mPlanes(caps: number): 'single' | 'multi' | undefined {
  if (caps & Cap.videoM2mMplane) return 'multi';
  if (caps & Cap.videoM2m) return 'single';
  if ((caps & Cap.videoCaptureMplane) && (caps & Cap.videoOutputMplane)) return 'multi';
  if ((caps & Cap.videoCapture) && (caps & Cap.videoOutput)) return 'single';
  return undefined;
}

/** The buffer type of each queue for a planar API. */
export function bufTypes(planes: 'single' | 'multi'): { output: number; capture: number } {
  return planes === 'multi'
    ? { output: BufType.videoOutputMplane, capture: BufType.videoCaptureMplane }
    : { output: BufType.videoOutput, capture: BufType.videoCapture };
}
export const isMplane = (type: number): boolean => type === BufType.videoCaptureMplane || type === BufType.videoOutputMplane;

// ---- struct v4l2_fmtdesc ---------------------------------------------------------------

export function fmtdesc(type: number, index: number): Buffer {
  const b = Buffer.alloc(SIZE.fmtdesc);
  b.writeUInt32LE(index, 0);
  b.writeUInt32LE(type, 4);
  return b;
}
export const fmtdescPixelformat = (b: Buffer): number => b.readUInt32LE(44);

// ---- struct v4l2_format (pix at 8; pix_mp at 8) -----------------------------------------

export interface PixFormat {
  readonly width: number;
  readonly height: number;
  readonly pixelformat: number;
  /** Per memory plane: bytes per line and the size of the plane buffer. */
  readonly planes: readonly { readonly bytesperline: number; readonly sizeimage: number }[];
}

/**
 * struct v4l2_format for S_FMT/G_FMT. Single-planar: v4l2_pix_format (field@20,
 * bytesperline@24, sizeimage@28). Multi-planar: v4l2_pix_format_mplane (field@20,
 * plane_fmt[8]@28 as {sizeimage, bytesperline, reserved[6]} of 20 bytes, num_planes@188).
 * A sizeimage of 0 lets the driver choose (it must for raw formats; for coded formats it
 * is our request for the CAPTURE buffer size).
 */
export function format(type: number, f: { width: number; height: number; pixelformat: number; sizeimage?: number }): Buffer {
  const b = Buffer.alloc(SIZE.format);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(f.width, 8);
  b.writeUInt32LE(f.height, 12);
  b.writeUInt32LE(f.pixelformat, 16);
  b.writeUInt32LE(1, 20); // V4L2_FIELD_NONE: progressive
  if (isMplane(type)) {
    b.writeUInt32LE(f.sizeimage ?? 0, 28);
    b.writeUInt8(1, 188);
  } else {
    b.writeUInt32LE(f.sizeimage ?? 0, 28);
  }
  return b;
}
export function parseFormat(b: Buffer): PixFormat {
  const type = b.readUInt32LE(0);
  const base = { width: b.readUInt32LE(8), height: b.readUInt32LE(12), pixelformat: b.readUInt32LE(16) };
  if (!isMplane(type)) return { ...base, planes: [{ bytesperline: b.readUInt32LE(24), sizeimage: b.readUInt32LE(28) }] };
  const n = Math.min(8, b.readUInt8(188));
  const planes = [];
  for (let i = 0; i < n; i++) planes.push({ sizeimage: b.readUInt32LE(28 + 20 * i), bytesperline: b.readUInt32LE(32 + 20 * i) });
  return { ...base, planes };
}

// ---- struct v4l2_requestbuffers --------------------------------------------------------

export function requestbuffers(type: number, memory: number, count: number): Buffer {
  const b = Buffer.alloc(SIZE.requestbuffers);
  b.writeUInt32LE(count, 0);
  b.writeUInt32LE(type, 4);
  b.writeUInt32LE(memory, 8);
  return b;
}
export const requestbuffersCount = (b: Buffer): number => b.readUInt32LE(0);

// ---- struct v4l2_buffer (+ v4l2_plane[] for multi-planar) ------------------------------

/**
 * What goes into QBUF/QUERYBUF/DQBUF. For multi-planar types `m.planes` must point at
 * the plane array, whose address only the I/O layer knows: it passes `planesAddress`.
 */
export interface BufferArgs {
  readonly type: number;
  readonly memory: number;
  readonly index: number;
  /** Per plane: bytes used (OUTPUT) and, for DMABUF, the fd and its length. */
  readonly planes?: readonly { readonly bytesused?: number; readonly length?: number; readonly fd?: number }[];
  /** Copied by the driver from the OUTPUT buffer to the CAPTURE buffer it produces. */
  readonly timestampUs?: bigint;
}

/** Builds the v4l2_buffer and, for multi-planar types, its plane array (numPlanes long). */
export function buffer(a: BufferArgs, numPlanes: number): { buf: Buffer; planes: Buffer | undefined } {
  const buf = Buffer.alloc(SIZE.buffer);
  buf.writeUInt32LE(a.index, 0);
  buf.writeUInt32LE(a.type, 4);
  buf.writeUInt32LE(1, 16); // V4L2_FIELD_NONE
  if (a.timestampUs !== undefined) {
    buf.writeBigInt64LE(a.timestampUs / 1_000_000n, 24); // timeval.tv_sec
    buf.writeBigInt64LE(a.timestampUs % 1_000_000n, 32); // timeval.tv_usec
  }
  buf.writeUInt32LE(a.memory, 60);
  if (!isMplane(a.type)) {
    const p = a.planes?.[0];
    buf.writeUInt32LE(p?.bytesused ?? 0, 8);
    if (a.memory === Memory.dmabuf && p?.fd !== undefined) buf.writeInt32LE(p.fd, 64);
    if (p?.length !== undefined) buf.writeUInt32LE(p.length, 72);
    return { buf, planes: undefined };
  }
  const planes = Buffer.alloc(SIZE.plane * numPlanes);
  for (let i = 0; i < numPlanes; i++) {
    const p = a.planes?.[i];
    planes.writeUInt32LE(p?.bytesused ?? 0, i * SIZE.plane);
    if (p?.length !== undefined) planes.writeUInt32LE(p.length, i * SIZE.plane + 4);
    if (a.memory === Memory.dmabuf && p?.fd !== undefined) planes.writeInt32LE(p.fd, i * SIZE.plane + 8);
  }
  buf.writeUInt32LE(numPlanes, 72); // length = number of planes for multi-planar
  return { buf, planes };
}

/** Writes the plane array's address into v4l2_buffer.m.planes (a 64-bit pointer at 64). */
export function setPlanesPointer(buf: Buffer, address: bigint): void {
  buf.writeBigUInt64LE(address, 64);
}

export interface BufferInfo {
  readonly index: number;
  readonly flags: number;
  readonly sequence: number;
  readonly timestampUs: bigint;
  /** Per plane: bytes used, buffer length, and the mmap offset (MMAP memory). */
  readonly planes: readonly { readonly bytesused: number; readonly length: number; readonly offset: number; readonly dataOffset: number }[];
}
export function parseBuffer(buf: Buffer, planes: Buffer | undefined): BufferInfo {
  const common = {
    index: buf.readUInt32LE(0),
    flags: buf.readUInt32LE(12),
    sequence: buf.readUInt32LE(56),
    timestampUs: buf.readBigInt64LE(24) * 1_000_000n + buf.readBigInt64LE(32),
  };
  if (!planes) {
    return { ...common, planes: [{ bytesused: buf.readUInt32LE(8), length: buf.readUInt32LE(72), offset: buf.readUInt32LE(64), dataOffset: 0 }] };
  }
  const n = Math.min(buf.readUInt32LE(72), planes.length / SIZE.plane);
  const out = [];
  for (let i = 0; i < n; i++) {
    const at = i * SIZE.plane;
    // A plane's payload starts data_offset bytes in (bytesused counts from the plane start).
    const dataOffset = planes.readUInt32LE(at + 16);
    out.push({ bytesused: planes.readUInt32LE(at), length: planes.readUInt32LE(at + 4), offset: planes.readUInt32LE(at + 8), dataOffset });
  }
  return { ...common, planes: out };
}

// ---- struct v4l2_exportbuffer ----------------------------------------------------------

/** VIDIOC_EXPBUF argument: export plane `plane` of buffer `index` as a DMABUF fd (O_CLOEXEC|O_RDWR). */
export function exportbuffer(type: number, index: number, plane: number, flags: number): Buffer {
  const b = Buffer.alloc(SIZE.exportbuffer);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(index, 4);
  b.writeUInt32LE(plane, 8);
  b.writeUInt32LE(flags, 12);
  return b;
}
export const exportbufferFd = (b: Buffer): number => b.readInt32LE(16);

// ---- struct v4l2_streamparm (timeperframe at 12/16 for both capture and output) --------

/** S_PARM argument asking for `fps` frames per second (timeperframe = 1/fps). */
export function streamparm(type: number, fps: number): Buffer {
  const b = Buffer.alloc(SIZE.streamparm);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(1000, 12);
  b.writeUInt32LE(Math.round(fps * 1000), 16);
  return b;
}
export function streamparmFps(b: Buffer): number | undefined {
  const num = b.readUInt32LE(12);
  const den = b.readUInt32LE(16);
  return num ? den / num : undefined;
}

// ---- struct v4l2_control / v4l2_queryctrl ----------------------------------------------

export function control(id: number, value: number): Buffer {
  const b = Buffer.alloc(SIZE.control);
  b.writeUInt32LE(id, 0);
  b.writeInt32LE(value, 4);
  return b;
}
export const controlValue = (b: Buffer): number => b.readInt32LE(4);

export interface ControlInfo {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly minimum: number;
  readonly maximum: number;
  readonly step: number;
  readonly defaultValue: number;
  readonly flags: number;
}
/** V4L2_CTRL_FLAG_DISABLED: the control exists in the ABI but not on this driver. */
export const CTRL_FLAG_DISABLED = 0x1;
export function queryctrl(id: number): Buffer {
  const b = Buffer.alloc(SIZE.queryctrl);
  b.writeUInt32LE(id, 0);
  return b;
}
export function parseQueryctrl(b: Buffer): ControlInfo {
  return {
    id: b.readUInt32LE(0),
    type: b.readUInt32LE(4),
    name: cString(b, 8, 32),
    minimum: b.readInt32LE(40),
    maximum: b.readInt32LE(44),
    step: b.readInt32LE(48),
    defaultValue: b.readInt32LE(52),
    flags: b.readUInt32LE(56),
  };
}

// ---- struct v4l2_encoder_cmd -----------------------------------------------------------

export function encoderCmd(cmd: number): Buffer {
  const b = Buffer.alloc(SIZE.encoderCmd);
  b.writeUInt32LE(cmd, 0);
  return b;
}

// ---- struct v4l2_decoder_cmd (cmd, flags, 64-byte union) -------------------------------

/** V4L2_DEC_CMD_* for VIDIOC_DECODER_CMD */
export const DecCmd = { start: 0, stop: 1 } as const;

export function decoderCmd(cmd: number): Buffer {
  const b = Buffer.alloc(SIZE.decoderCmd);
  b.writeUInt32LE(cmd, 0);
  return b;
}

// ---- events: struct v4l2_event_subscription {type, id, flags, reserved[5]} and
// struct v4l2_event {type@0, union u[64]@8 (8-aligned), pending@72, sequence@76,
// timestamp (timespec)@80, id@96, reserved[8]@100}, 136 bytes on LP64 ------------------

/** V4L2_EVENT_* types */
export const EventType = { eos: 2, sourceChange: 5 } as const;
/** V4L2_EVENT_SRC_CH_RESOLUTION: u.src_change.changes bit */
export const SRC_CH_RESOLUTION = 0x1;

export function eventSubscription(type: number): Buffer {
  const b = Buffer.alloc(SIZE.eventSubscription);
  b.writeUInt32LE(type, 0);
  return b;
}

export interface V4l2Event {
  readonly type: number;
  /** u.src_change.changes for V4L2_EVENT_SOURCE_CHANGE. */
  readonly changes: number;
  readonly pending: number;
}
export function parseEvent(b: Buffer): V4l2Event {
  return { type: b.readUInt32LE(0), changes: b.readUInt32LE(8), pending: b.readUInt32LE(72) };
}

/** Linux errno values the M2M flow reacts to. */
export const Errno = { EPIPE: 32, EAGAIN: 11, EINVAL: 22, ENOTTY: 25, ENODEV: 19, EBUSY: 16, ENOENT: 2 } as const;
