/*
 * x264-pipe: one libx264 encoder behind a framed pipe, supervised by Node
 * (appliance/src/encode/software-encoder.ts).
 *
 * Why not the ffmpeg CLI: it cannot force an IDR on request, and a raw Annex-B pipe
 * only reveals that a picture ended when the next one starts (one frame of latency).
 * Here one input frame gives exactly one output access unit, written and flushed as
 * soon as x264 returns it.
 *
 * Usage: x264-pipe --width W --height H --fps N --bitrate BPS --keyint FRAMES
 *                  [--preset ultrafast|superfast|...] [--threads N] [--vbv-frames F]
 *
 * stdin, per frame (all little-endian), 32-byte header then the I420 picture:
 *   u32 magic 0x31465853 ("SXF1")   u32 width   u32 height
 *   u32 flags (bit 0 FORCE_IDR)     u32 seq     u32 reserved (0)
 *   f64 captureTimeMs
 *   width*height*3/2 bytes: Y, U, V planes, tightly packed.
 * stdout, per access unit (little-endian), 32-byte header then the payload:
 *   u32 magic 0x31415853 ("SXA1")   u32 payload length   u32 flags (bit 0 KEYFRAME = IDR)
 *   u32 seq (copied)                u32 NAL count        u32 reserved (0)
 *   f64 captureTimeMs (copied)
 *   payload: the NAL units, each preceded by a 4-byte big-endian length (x264 with
 *   b_annexb = 0, i.e. the AVCC/ISO 14496-15 framing), in decoding order.
 * A frame whose size differs from --width/--height is an error: the Node side restarts
 * the helper with the new size. Errors go to stderr as one line; exit status 2.
 * End of stdin: clean exit 0.
 */
#define PIPE_NAME "x264-pipe"
#include "pipe-io.h" /* stdint.h first: x264.h needs it */
#include <x264.h>

#define IN_MAGIC 0x31465853u
#define OUT_MAGIC 0x31415853u
#define HEADER_SIZE 32
#define FLAG_FORCE_IDR 1u
#define FLAG_KEYFRAME 1u

#define die(msg, detail) pipe_fail(PIPE_EXIT_USAGE, msg, detail)

int main(int argc, char **argv) {
  long width = 0, height = 0, fps = 30, bitrate = 4000000, keyint = 60, threads = 2;
  long vbv_frames = 2;
  const char *preset = "superfast";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--width")) width = arg_long(a, v, 16, 8192);
    else if (!strcmp(a, "--height")) height = arg_long(a, v, 16, 8192);
    else if (!strcmp(a, "--fps")) fps = arg_long(a, v, 1, 240);
    else if (!strcmp(a, "--bitrate")) bitrate = arg_long(a, v, 10000, 200000000);
    else if (!strcmp(a, "--keyint")) keyint = arg_long(a, v, 1, 100000);
    else if (!strcmp(a, "--threads")) threads = arg_long(a, v, 1, 16);
    else if (!strcmp(a, "--vbv-frames")) vbv_frames = arg_long(a, v, 1, 100);
    else if (!strcmp(a, "--preset")) { if (!v) die("bad value for option", a); preset = v; }
    else die("unknown option", a);
    i++;
  }
  if (!width || !height || (width & 1) || (height & 1)) die("--width and --height are required and must be even", NULL);

  x264_param_t param;
  if (x264_param_default_preset(&param, preset, "zerolatency") < 0) die("unknown x264 preset", preset);
  param.i_log_level = X264_LOG_ERROR;
  param.i_width = (int)width;
  param.i_height = (int)height;
  param.i_csp = X264_CSP_I420;
  param.i_fps_num = (uint32_t)fps;
  param.i_fps_den = 1;
  param.i_timebase_num = 1;
  param.i_timebase_den = (uint32_t)fps;
  param.b_vfr_input = 0;
  /* zerolatency already gives sliced threads, no B-frames, no lookahead; state it anyway. */
  param.i_threads = (int)threads;
  param.b_sliced_threads = 1;
  param.i_sync_lookahead = 0;
  param.rc.i_lookahead = 0;
  param.i_bframe = 0;
  param.i_keyint_max = (int)keyint;
  param.i_keyint_min = (int)keyint;
  param.i_scenecut_threshold = 0; /* IDRs only periodic or on request */
  param.b_repeat_headers = 1;     /* SPS + PPS before every IDR */
  param.b_annexb = 0;             /* 4-byte big-endian length prefixes */
  param.rc.i_rc_method = X264_RC_ABR;
  param.rc.i_bitrate = (int)(bitrate / 1000);
  param.rc.i_vbv_max_bitrate = (int)(bitrate / 1000);
  param.rc.i_vbv_buffer_size = (int)(bitrate / 1000 * vbv_frames / fps);
  if (param.rc.i_vbv_buffer_size < 1) param.rc.i_vbv_buffer_size = 1;
  /* Constrained Baseline: x264's baseline profile signals profile_idc 66 with
   * constraint_set0 and constraint_set1 (no B, no CABAC, no 8x8dct, no interlace). */
  if (x264_param_apply_profile(&param, "baseline") < 0) die("x264 rejected the baseline profile", NULL);

  x264_t *enc = x264_encoder_open(&param);
  if (!enc) die("x264_encoder_open failed (check size, bitrate and preset)", NULL);

  size_t luma = (size_t)width * (size_t)height;
  size_t frame_size = luma + 2 * (luma / 4);
  uint8_t *frame = malloc(frame_size);
  if (!frame) die("out of memory", NULL);
  uint8_t hdr[HEADER_SIZE], out[HEADER_SIZE];
  x264_picture_t pic, pic_out;
  x264_picture_init(&pic);
  pic.img.i_csp = X264_CSP_I420;
  pic.img.i_plane = 3;
  pic.img.i_stride[0] = (int)width;
  pic.img.i_stride[1] = pic.img.i_stride[2] = (int)(width / 2);
  pic.img.plane[0] = frame;
  pic.img.plane[1] = frame + luma;
  pic.img.plane[2] = frame + luma + luma / 4;
  int64_t pts = 0;

  while (read_full(hdr, HEADER_SIZE)) {
    if (get_u32(hdr) != IN_MAGIC) die("bad frame header magic (protocol out of step)", NULL);
    if (get_u32(hdr + 4) != (uint32_t)width || get_u32(hdr + 8) != (uint32_t)height)
      die("frame size differs from --width/--height; restart with the new size", NULL);
    uint32_t flags = get_u32(hdr + 12);
    read_full(frame, frame_size);
    pic.i_type = (flags & FLAG_FORCE_IDR) ? X264_TYPE_IDR : X264_TYPE_AUTO;
    pic.i_pts = pts++;
    x264_nal_t *nals = NULL;
    int n_nal = 0;
    int size = x264_encoder_encode(enc, &nals, &n_nal, &pic, &pic_out);
    if (size < 0) die("x264_encoder_encode failed", NULL);
    if (size > 0 && pic_out.i_pts != pic.i_pts) die("x264 returned a delayed frame; settings must give zero delay", NULL);
    put_u32(out, OUT_MAGIC);
    put_u32(out + 4, (uint32_t)size);
    put_u32(out + 8, (size > 0 && pic_out.b_keyframe) ? FLAG_KEYFRAME : 0);
    put_u32(out + 12, get_u32(hdr + 16));                 /* seq, copied */
    put_u32(out + 16, (uint32_t)(size > 0 ? n_nal : 0));
    put_u32(out + 20, 0);
    memcpy(out + 24, hdr + 24, 8);                         /* captureTimeMs, copied */
    write_full(out, HEADER_SIZE);
    /* x264 lays a frame's NAL payloads out contiguously starting at nals[0]. */
    if (size > 0) write_full(nals[0].p_payload, (size_t)size);
  }
  x264_encoder_close(enc);
  free(frame);
  return 0;
}
