/*
 * pipe-io.h: the plumbing both native helpers (x264-pipe.c, opus-pipe.c) share for their
 * framed stdin/stdout protocols: whole reads and writes, little-endian fields, checked
 * numeric options, and one error line on stderr. Header-only (static functions): each
 * helper is one translation unit. Define PIPE_NAME ("x264-pipe") before including.
 */
#ifndef SONOBOX_PIPE_IO_H
#define SONOBOX_PIPE_IO_H
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit status for usage and internal errors; helpers add their own codes above it. */
#define PIPE_EXIT_USAGE 2

/* One line on stderr, "<PIPE_NAME>: msg: detail", then exit with `code`. */
static void pipe_fail(int code, const char *msg, const char *detail) {
  fprintf(stderr, PIPE_NAME ": %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
  exit(code);
}

/* Reads exactly n bytes of stdin; returns 0 on clean EOF before the first byte, 1 when complete. */
static int read_full(uint8_t *p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(0, p + got, n - got);
    if (r == 0) {
      if (got == 0) return 0;
      pipe_fail(PIPE_EXIT_USAGE, "stdin ended in the middle of a frame", NULL);
    }
    if (r < 0) {
      if (errno == EINTR) continue;
      pipe_fail(PIPE_EXIT_USAGE, "read from stdin failed", strerror(errno));
    }
    got += (size_t)r;
  }
  return 1;
}

/* Writes all n bytes to stdout; a closed stdout (the supervisor went away) is a clean exit. */
static void write_full(const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) exit(0);
      pipe_fail(PIPE_EXIT_USAGE, "write to stdout failed", strerror(errno));
    }
    p += w;
    n -= (size_t)w;
  }
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* A whole number option in [min, max], or exit saying which option was bad. */
static long arg_long(const char *name, const char *value, long min, long max) {
  char *end = NULL;
  errno = 0;
  long v = value ? strtol(value, &end, 10) : 0;
  if (!value || errno || *end || v < min || v > max) pipe_fail(PIPE_EXIT_USAGE, "bad value for option", name);
  return v;
}
#endif
