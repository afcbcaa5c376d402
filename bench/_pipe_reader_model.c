// A model of `filter`'s input side in pipe mode, without Deno: reads standard
// input into a block with blocking reads, as src/cli/_sync_block_source.ts
// does, spends a fixed time per KiB on each block (the filter's work), writes
// an eighth of it to standard output, and prints to stderr the time spent in
// reads and how many reads waited (took over 8 µs). Used to compare read
// patterns and pipe sizes with the scheduler's placement fixed by taskset
// (bench/RESULTS.md, "Pipe mode, session 9"):
//
//   gcc -O2 -o /tmp/pipe_reader_model bench/_pipe_reader_model.c
//   taskset -c 0 cat F | taskset -c 1 /tmp/pipe_reader_model 65536 262144 100 > /dev/null
//   taskset -c 1 cat F | taskset -c 1 /tmp/pipe_reader_model 65536 262144 100 > /dev/null
//
// Arguments: READ (bytes asked per read), BLOCK (block size), WORK (ns per
// KiB of block), and optionally PIPE (a pipe capacity to set with
// F_SETPIPE_SZ first). A block ends when it is full, at the end, or at a
// read shorter than asked (the writer has paused).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static volatile unsigned sink;

// Touches the block and spins for `ns_per_kib` per KiB: the filter's work.
static void work(const unsigned char *block, long n, long ns_per_kib) {
  long long end = now_ns() + n * ns_per_kib / 1024;
  unsigned sum = 0;
  for (long i = 0; i < n; i += 64) sum += block[i];
  while (now_ns() < end) {
  }
  sink = sum;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s READ BLOCK WORK_NS_PER_KIB [PIPE]\n", argv[0]);
    return 2;
  }
  long read_size = atol(argv[1]), block_size = atol(argv[2]), ns_per_kib = atol(argv[3]);
  if (argc > 4 && fcntl(0, F_SETPIPE_SZ, atoi(argv[4])) < 0) perror("F_SETPIPE_SZ");
  unsigned char *block = aligned_alloc(4096, block_size);
  long reads = 0, waited = 0;
  long long total = 0, in_reads = 0, in_waits = 0, started = now_ns();
  for (int end = 0; !end;) {
    long used = 0;
    while (used < block_size) {
      long want = read_size < block_size - used ? read_size : block_size - used;
      long long t = now_ns();
      long n = read(0, block + used, want);
      long long took = now_ns() - t;
      reads++;
      in_reads += took;
      if (took > 8000) waited++, in_waits += took;
      if (n <= 0) {
        end = 1;
        break;
      }
      used += n;
      if (n < want) break;
    }
    if (used == 0) continue;
    work(block, used, ns_per_kib);
    total += used;
    if (write(1, block, used / 8) < 0) return 1;
  }
  fprintf(stderr, "%lld bytes, %ld reads, %.1f ms in reads, %ld waited (%.1f ms), wall %.1f ms\n",
          total, reads, in_reads / 1e6, waited, in_waits / 1e6, (now_ns() - started) / 1e6);
  return 0;
}
