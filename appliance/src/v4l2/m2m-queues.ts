/**
 * The two queues of a memory-to-memory codec and which buffer API a node speaks, from its
 * capabilities (videodev2.h V4L2_CAP_*; "Memory-to-Memory Stateful Video Encoder
 * Interface"). Pure.
 */
import { vd } from './v4l2-binding.js';

/** OUTPUT takes what the codec reads (raw frames for an encoder), CAPTURE returns what it writes. */
export type QueueKind = 'output' | 'capture';

/** The memory a queue's buffers live in: mapped from the driver, or imported by fd. */
export type MemoryKind = 'mmap' | 'dmabuf';

export const memoryCode = (m: MemoryKind): number => (m === 'mmap' ? vd.v4l2_memory.V4L2_MEMORY_MMAP : vd.v4l2_memory.V4L2_MEMORY_DMABUF);

/** Which buffer API an M2M node speaks, from its caps; undefined when it is no M2M node. */
export function m2mPlanes(caps: number): 'single' | 'multi' | undefined {
  if (caps & vd.V4L2_CAP_VIDEO_M2M_MPLANE) return 'multi';
  if (caps & vd.V4L2_CAP_VIDEO_M2M) return 'single';
  if (caps & vd.V4L2_CAP_VIDEO_CAPTURE_MPLANE && caps & vd.V4L2_CAP_VIDEO_OUTPUT_MPLANE) return 'multi';
  if (caps & vd.V4L2_CAP_VIDEO_CAPTURE && caps & vd.V4L2_CAP_VIDEO_OUTPUT) return 'single';
  return undefined;
}

/** The buffer type of each queue for a planar API. */
export function bufTypes(planes: 'single' | 'multi'): { output: number; capture: number } {
  const t = vd.v4l2_buf_type;
  return planes === 'multi'
    ? { output: t.V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, capture: t.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE }
    : { output: t.V4L2_BUF_TYPE_VIDEO_OUTPUT, capture: t.V4L2_BUF_TYPE_VIDEO_CAPTURE };
}
