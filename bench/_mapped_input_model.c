// A model of `filter`'s regular-file input without Deno: the capture is
// either read (read(2), a copy from the page cache) or mapped (mmap
// MAP_FIXED over the same buffer), one window at a time, and a walk then
// follows the pcap records in each window and reads three bytes of each
// packet (its EtherType, IP protocol and a port byte), a dependent chain of
// loads as in the Wasm walk. Prints the wall and CPU time of the whole pass.
// Used to find out whether mapping the file pays (bench/RESULTS.md,
// "Regular-file input without the read copy, session 10"):
//
//   gcc -O2 -o /tmp/mapped_input_model bench/_mapped_input_model.c
//   for m in read map map-lazy map-rw map-touch; do
//     /tmp/mapped_input_model $m 262144 bench/data/mixed_1m.pcap; done
//
// Modes: read; map (PROT_READ, MAP_POPULATE); map-lazy (PROT_READ, pages
// faulted in by the walk); map-rw (PROT_READ|PROT_WRITE, MAP_POPULATE: the
// kernel breaks copy-on-write, copying every page); map-touch (map, then one
// load per 64-byte line before the walk). A window starts at the page at or
// before the first record not yet walked; a record that does not fit is
// walked in the next window.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static double cpu_ms(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 +
         (r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1e-3;
}

static volatile unsigned sink;

// Walks the records of `p[at, n)`; returns where the first record that does
// not fit starts. Counts the records in *records.
static size_t walk(const unsigned char *p, size_t at, size_t n, unsigned long *records) {
  unsigned sum = 0;
  while (at + 16 <= n) {
    unsigned captured;
    memcpy(&captured, p + at + 8, 4);
    if (at + 16 + captured > n) break;
    const unsigned char *packet = p + at + 16;
    sum += packet[12] + (captured > 40 ? packet[23] + packet[37] : 0);
    at += 16 + captured;
    ++*records;
  }
  sink += sum;
  return at;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s read|map|map-lazy|map-rw|map-touch BLOCK FILE\n", argv[0]);
    return 2;
  }
  const char *mode = argv[1];
  const size_t block = strtoul(argv[2], 0, 10);
  const long page = sysconf(_SC_PAGESIZE);
  int fd = open(argv[3], O_RDONLY);
  if (fd < 0 || block % page != 0) {
    perror("open (or BLOCK not a whole number of pages)");
    return 1;
  }
  const off_t size = lseek(fd, 0, SEEK_END);
  unsigned char *buffer =
      mmap(0, block, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(buffer, 0, block);
  const int reads = strcmp(mode, "read") == 0;
  int prot = PROT_READ, flags = MAP_PRIVATE | MAP_FIXED | MAP_POPULATE;
  if (strcmp(mode, "map-lazy") == 0) flags &= ~MAP_POPULATE;
  if (strcmp(mode, "map-rw") == 0) prot |= PROT_WRITE;
  const int touch = strcmp(mode, "map-touch") == 0;
  const double wall0 = now_ms(), cpu0 = cpu_ms();
  unsigned long records = 0;
  for (off_t next = 24; next + 16 <= size;) {
    const off_t start = next - next % page;
    const size_t n = size - start < (off_t)block ? (size_t)(size - start) : block;
    if (reads) {
      size_t got = 0;
      lseek(fd, start, SEEK_SET);
      while (got < n) {
        ssize_t k = read(fd, buffer + got, n - got);
        if (k <= 0) return 1;
        got += k;
      }
    } else {
      size_t length = (n + page - 1) / page * page;
      if (mmap(buffer, length, prot, flags, fd, start) != buffer) {
        perror("mmap");
        return 1;
      }
      if (touch) {
        unsigned x = 0;
        for (size_t i = 0; i < n; i += 64) x |= buffer[i];
        sink += x;
      }
    }
    const size_t stop = walk(buffer, next - start, n, &records);
    if (stop == (size_t)(next - start)) break;  // a record larger than a window
    next = start + stop;
  }
  printf("%-9s block %7zu: wall %6.1f ms, cpu %6.1f ms, %lu records\n", mode, block,
         now_ms() - wall0, cpu_ms() - cpu0, records);
  return 0;
}
