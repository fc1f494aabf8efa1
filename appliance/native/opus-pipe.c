/*
 * opus-pipe: one libopus encoder behind a framed pipe, supervised by Node
 * (appliance/src/audio/opus-pipe.ts). Either it captures the dongle's audio itself over
 * ALSA (so PCM never crosses into Node), or it encodes PCM frames written to stdin
 * (the synthetic heartbeat, the file source's audio track).
 *
 * Usage: opus-pipe --alsa DEVICE [options]   capture from ALSA (e.g. plughw:CARD=MS2109,DEV=0)
 *        opus-pipe --stdin [options]         encode framed PCM from stdin
 *        opus-pipe --decode                  test mode: framed packets in, S16LE mono PCM out
 * Options: --bitrate BPS (default 96000)  --complexity 0..10 (10)  --fec 0|1 (1)
 *          --loss-percent 0..100 (10)  --stall-ms MS (2000, ALSA: no data this long = exit 6)
 *
 * Encoder (issue 12): 48 kHz mono, 20 ms frames, OPUS_APPLICATION_AUDIO, VBR, no DTX,
 * in-band FEC on with an expected loss of --loss-percent. libopus has no noise
 * suppression or AGC, and nothing else touches the samples except the stereo → mono
 * downmix (L+R)/2: Doppler is mono in practice, and scanners that put forward and
 * reverse flow on L and R are heard with both.
 *
 * stdin (--stdin), per frame, little-endian, 32-byte header then the samples:
 *   u32 magic 0x31465053 ("SPF1")   u32 samples per channel (960)   u32 channels (1|2)
 *   u32 flags (bit 0 DISCONTINUITY) u32 seq                          u32 reserved (0)
 *   f64 captureTimeMs (capture clock, of the frame's first sample)
 *   samples*channels S16LE, interleaved.
 * stdout, per Opus packet, little-endian, 32-byte header then the packet:
 *   u32 magic 0x31504F53 ("SOP1")   u32 payload length   u32 flags
 *   u32 seq                          u32 peak (max |sample| of the mono input, 0..32768)
 *   u32 reserved (0)                 f64 captureTimeMs
 *   flags: bit 0 DISCONTINUITY (first packet of a run: start, overrun, gap),
 *          bit 1 MONOTONIC (captureTimeMs is CLOCK_MONOTONIC in ms, not the capture clock;
 *          ALSA mode: Node maps it, see audio/capture-clock.ts).
 *   captureTimeMs is when the first sample the decoded packet plays was captured: the
 *   frame's first sample minus the encoder's lookahead (OPUS_GET_LOOKAHEAD, 6.5 ms for
 *   APPLICATION_AUDIO), because a decoder's output lags its input by that much.
 *   stdin mode copies seq and DISCONTINUITY; ALSA mode numbers packets from 0.
 * ALSA capture time: after each 960-frame read, snd_pcm_status() gives the time of the
 * last hardware pointer update (htstamp, CLOCK_MONOTONIC via sw_params tstamp_type) and
 * the delay (frames captured and not yet read); the frame's first sample was captured
 * (delay + 960) / 48000 s before htstamp.
 * stderr: "opus-pipe: info: ..." lines (device opened, settings) and one error line.
 * Exit status: 0 end of stdin / stdout closed; 2 usage or internal error; 3 no such
 * device; 4 device busy; 5 device lost while capturing (unplugged); 6 no data for
 * --stall-ms; 7 the device cannot capture 48 kHz S16.
 */
#define _DEFAULT_SOURCE /* alloca (alsa-lib's *_alloca macros), usleep */
#include <alsa/asoundlib.h>
#include <opus/opus.h>
#include <signal.h>
#include <time.h>
#define PIPE_NAME "opus-pipe"
#include "pipe-io.h"

#define IN_MAGIC 0x31465053u
#define OUT_MAGIC 0x31504F53u
#define HEADER_SIZE 32
#define RATE 48000
#define FRAME 960 /* 20 ms at 48 kHz */
#define MAX_PACKET 4000
#define FLAG_DISCONTINUITY 1u
#define FLAG_MONOTONIC 2u

enum { EXIT_USAGE = PIPE_EXIT_USAGE, EXIT_NO_DEVICE = 3, EXIT_BUSY = 4, EXIT_LOST = 5, EXIT_STALL = 6, EXIT_FORMAT = 7 };

#define die pipe_fail

static double get_f64(const uint8_t *p) {
  uint64_t u = 0;
  for (int i = 7; i >= 0; i--) u = u << 8 | p[i];
  double d;
  memcpy(&d, &u, 8);
  return d;
}
static void put_f64(uint8_t *p, double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(u >> (8 * i));
}

/* Mono downmix in place: (L+R)/2 for stereo; returns the peak |sample|. */
static uint32_t downmix(int16_t *pcm, int frames, int channels) {
  uint32_t peak = 0;
  for (int i = 0; i < frames; i++) {
    int32_t v = channels == 2 ? ((int32_t)pcm[2 * i] + pcm[2 * i + 1]) / 2 : pcm[i];
    pcm[i] = (int16_t)v;
    uint32_t a = (uint32_t)(v < 0 ? -v : v);
    if (a > peak) peak = a;
  }
  return peak;
}

static OpusEncoder *enc;
static double lookahead_ms;
static uint8_t packet[MAX_PACKET];

static void emit(const int16_t *mono, uint32_t flags, uint32_t seq, uint32_t peak, double capture_ms) {
  opus_int32 n = opus_encode(enc, mono, FRAME, packet, MAX_PACKET);
  if (n < 0) die(EXIT_USAGE, "opus_encode failed", opus_strerror(n));
  uint8_t out[HEADER_SIZE] = {0};
  put_u32(out, OUT_MAGIC);
  put_u32(out + 4, (uint32_t)n);
  put_u32(out + 8, flags);
  put_u32(out + 12, seq);
  put_u32(out + 16, peak);
  put_f64(out + 24, capture_ms - lookahead_ms);
  write_full(out, HEADER_SIZE);
  write_full(packet, (size_t)n);
}

static void run_stdin(void) {
  uint8_t hdr[HEADER_SIZE];
  int16_t pcm[FRAME * 2];
  while (read_full(hdr, HEADER_SIZE)) {
    if (get_u32(hdr) != IN_MAGIC) die(EXIT_USAGE, "bad frame header magic (protocol out of step)", NULL);
    uint32_t samples = get_u32(hdr + 4), channels = get_u32(hdr + 8);
    if (samples != FRAME) die(EXIT_USAGE, "frames must be 960 samples (20 ms at 48 kHz)", NULL);
    if (channels != 1 && channels != 2) die(EXIT_USAGE, "frames must be mono or stereo", NULL);
    uint8_t raw[FRAME * 2 * 2];
    read_full(raw, samples * channels * 2);
    for (uint32_t i = 0; i < samples * channels; i++) pcm[i] = (int16_t)(raw[2 * i] | raw[2 * i + 1] << 8);
    uint32_t peak = downmix(pcm, FRAME, (int)channels);
    emit(pcm, get_u32(hdr + 12) & FLAG_DISCONTINUITY, get_u32(hdr + 16), peak, get_f64(hdr + 24));
  }
}

static int open_exit_code(int err) {
  if (err == -ENOENT || err == -ENODEV || err == -ENXIO) return EXIT_NO_DEVICE;
  if (err == -EBUSY || err == -EAGAIN) return EXIT_BUSY;
  return EXIT_USAGE;
}

static double monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void run_alsa(const char *device, long stall_ms) {
  snd_pcm_t *pcm = NULL;
  int err = snd_pcm_open(&pcm, device, SND_PCM_STREAM_CAPTURE, 0);
  if (err < 0) die(open_exit_code(err), "cannot open ALSA capture device", snd_strerror(err));

  snd_pcm_hw_params_t *hw;
  snd_pcm_hw_params_alloca(&hw);
  snd_pcm_hw_params_any(pcm, hw);
  unsigned int rate = RATE, channels = 2;
  snd_pcm_uframes_t period = FRAME / 2, buffer = FRAME * 10;
  if (snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED) < 0 ||
      snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_S16_LE) < 0)
    die(EXIT_FORMAT, "the device cannot capture interleaved S16_LE (use a plughw: device)", device);
  /* Two channels when the device has them (MS2109 with the kernel quirk: 48 kHz stereo),
   * else one; anything else is downmixed by plughw to these. */
  if (snd_pcm_hw_params_set_channels_near(pcm, hw, &channels) < 0 || (channels != 1 && channels != 2))
    die(EXIT_FORMAT, "the device offers neither mono nor stereo capture", device);
  if (snd_pcm_hw_params_set_rate_near(pcm, hw, &rate, NULL) < 0 || rate != RATE)
    die(EXIT_FORMAT, "the device cannot capture at 48000 Hz (use a plughw: device to resample)", device);
  snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, NULL);
  /* 200 ms of buffer: a stalled reader (a busy box) loses nothing; latency is set by when
   * we read (as soon as 960 frames are there), not by the buffer size. */
  snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer);
  if ((err = snd_pcm_hw_params(pcm, hw)) < 0) die(EXIT_FORMAT, "cannot apply hardware parameters", snd_strerror(err));

  snd_pcm_sw_params_t *sw;
  snd_pcm_sw_params_alloca(&sw);
  snd_pcm_sw_params_current(pcm, sw);
  snd_pcm_sw_params_set_avail_min(pcm, sw, FRAME);
  snd_pcm_sw_params_set_start_threshold(pcm, sw, 1);
  snd_pcm_sw_params_set_tstamp_mode(pcm, sw, SND_PCM_TSTAMP_ENABLE);
  snd_pcm_sw_params_set_tstamp_type(pcm, sw, SND_PCM_TSTAMP_TYPE_MONOTONIC);
  if ((err = snd_pcm_sw_params(pcm, sw)) < 0) die(EXIT_USAGE, "cannot apply software parameters", snd_strerror(err));

  fprintf(stderr, "opus-pipe: info: capturing %s at %u Hz, %u channel(s), period %lu, buffer %lu frames; lookahead %.2f ms\n",
          device, rate, channels, (unsigned long)period, (unsigned long)buffer, lookahead_ms);
  if ((err = snd_pcm_start(pcm)) < 0) die(EXIT_LOST, "cannot start capture", snd_strerror(err));

  snd_pcm_status_t *st;
  snd_pcm_status_alloca(&st);
  int16_t pcmbuf[FRAME * 2];
  uint32_t seq = 0, flags = FLAG_DISCONTINUITY;
  for (;;) {
    /* Collect one whole 20 ms frame; a blocking read returns short only on a signal or an xrun. */
    snd_pcm_sframes_t have = 0, got = 0;
    while (have < FRAME) {
      err = snd_pcm_wait(pcm, (int)stall_ms);
      if (err == 0) die(EXIT_STALL, "no audio data from the device", device);
      got = err < 0 ? err : snd_pcm_readi(pcm, pcmbuf + have * channels, (snd_pcm_uframes_t)(FRAME - have));
      if (got == -EAGAIN || got == -EINTR) continue;
      if (got < 0) break;
      have += got;
    }
    if (got == -EPIPE || got == -ESTRPIPE) {
      /* Overrun (or suspend): samples were lost. Restart and say so. */
      if (got == -ESTRPIPE) while (snd_pcm_resume(pcm) == -EAGAIN) usleep(10000);
      if ((err = snd_pcm_prepare(pcm)) < 0 || (err = snd_pcm_start(pcm)) < 0)
        die(EXIT_LOST, "cannot restart capture after an overrun", snd_strerror(err));
      fprintf(stderr, "opus-pipe: info: overrun, samples lost; capture restarted\n");
      flags = FLAG_DISCONTINUITY;
      continue;
    }
    if (got < 0) die(got == -ENODEV || got == -EBADFD || got == -EIO ? EXIT_LOST : EXIT_USAGE,
                     "capture failed (device unplugged?)", snd_strerror((int)got));

    double capture_ms;
    snd_htimestamp_t ts;
    if (snd_pcm_status(pcm, st) == 0 && (snd_pcm_status_get_htstamp(st, &ts), ts.tv_sec || ts.tv_nsec)) {
      double htstamp_ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
      snd_pcm_sframes_t delay = snd_pcm_status_get_delay(st);
      capture_ms = htstamp_ms - (double)(delay + FRAME) * 1000.0 / RATE;
    } else {
      capture_ms = monotonic_ms() - FRAME * 1000.0 / RATE; /* no timestamps: time of the read */
    }
    uint32_t peak = downmix(pcmbuf, FRAME, (int)channels);
    emit(pcmbuf, flags | FLAG_MONOTONIC, seq++, peak, capture_ms);
    flags = 0;
  }
}

/* Test mode: SOP1-framed packets in, 960 S16LE mono samples per packet out. */
static void run_decode(void) {
  int err;
  OpusDecoder *dec = opus_decoder_create(RATE, 1, &err);
  if (!dec) die(EXIT_USAGE, "opus_decoder_create failed", opus_strerror(err));
  uint8_t hdr[HEADER_SIZE];
  int16_t pcm[5760];
  uint8_t raw[5760 * 2];
  while (read_full(hdr, HEADER_SIZE)) {
    if (get_u32(hdr) != OUT_MAGIC) die(EXIT_USAGE, "bad packet header magic (protocol out of step)", NULL);
    uint32_t len = get_u32(hdr + 4);
    if (len == 0 || len > MAX_PACKET) die(EXIT_USAGE, "bad packet length", NULL);
    read_full(packet, len);
    int n = opus_decode(dec, packet, (opus_int32)len, pcm, 5760, 0);
    if (n < 0) die(EXIT_USAGE, "opus_decode failed", opus_strerror(n));
    for (int i = 0; i < n; i++) { raw[2 * i] = (uint8_t)pcm[i]; raw[2 * i + 1] = (uint8_t)((uint16_t)pcm[i] >> 8); }
    write_full(raw, (size_t)n * 2);
  }
  opus_decoder_destroy(dec);
}

int main(int argc, char **argv) {
  const char *device = NULL;
  int mode = 0; /* 1 alsa, 2 stdin, 3 decode */
  long bitrate = 96000, complexity = 10, fec = 1, loss = 10, stall_ms = 2000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--stdin")) { mode = 2; continue; }
    if (!strcmp(a, "--decode")) { mode = 3; continue; }
    if (!strcmp(a, "--alsa")) { if (!v) die(EXIT_USAGE, "bad value for option", a); mode = 1; device = v; }
    else if (!strcmp(a, "--bitrate")) bitrate = arg_long(a, v, 6000, 510000);
    else if (!strcmp(a, "--complexity")) complexity = arg_long(a, v, 0, 10);
    else if (!strcmp(a, "--fec")) fec = arg_long(a, v, 0, 1);
    else if (!strcmp(a, "--loss-percent")) loss = arg_long(a, v, 0, 100);
    else if (!strcmp(a, "--stall-ms")) stall_ms = arg_long(a, v, 100, 600000);
    else die(EXIT_USAGE, "unknown option", a);
    i++;
  }
  if (!mode) die(EXIT_USAGE, "give --alsa DEVICE, --stdin or --decode", NULL);
  signal(SIGPIPE, SIG_IGN);
  if (mode == 3) { run_decode(); return 0; }

  int err;
  enc = opus_encoder_create(RATE, 1, OPUS_APPLICATION_AUDIO, &err);
  if (!enc) die(EXIT_USAGE, "opus_encoder_create failed", opus_strerror(err));
  opus_encoder_ctl(enc, OPUS_SET_BITRATE((opus_int32)bitrate));
  opus_encoder_ctl(enc, OPUS_SET_VBR(1));
  opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY((opus_int32)complexity));
  opus_encoder_ctl(enc, OPUS_SET_DTX(0));
  opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC((opus_int32)fec));
  opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC((opus_int32)loss));
  opus_int32 lookahead = 0;
  opus_encoder_ctl(enc, OPUS_GET_LOOKAHEAD(&lookahead));
  lookahead_ms = lookahead * 1000.0 / RATE;

  if (mode == 1) run_alsa(device, stall_ms);
  else run_stdin();
  opus_encoder_destroy(enc);
  return 0;
}
