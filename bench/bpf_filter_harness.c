/*
 * libpcap's C interpreter timed on the engine bench's packets (issue 12).
 *
 *   gcc -O2 -o bench/data/bpf_filter_harness bench/bpf_filter_harness.c -lpcap
 *   bench/data/bpf_filter_harness PACKETS PROGRAM ROUNDS REPEATS
 *
 * PACKETS: a little-endian u32 count, then per packet a u32 captured length,
 * a u32 wire length and the bytes. PROGRAM: tcpdump -ddd text ("N,code jt jf
 * k,..."). Prints one line per repeat: "<ns per packet> <sum of results>",
 * the sum so the work cannot be optimized away and so the caller can check
 * the verdicts against its own engines. Times are the process's CPU time
 * (CLOCK_PROCESS_CPUTIME_ID), as the TypeScript side measures its own, so
 * other work on a shared machine disturbs them less.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned char *read_file(const char *path, long *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *size = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *data = malloc(*size + 1);
  if (!data || fread(data, 1, *size, f) != (size_t)*size) {
    fclose(f);
    free(data);
    return NULL;
  }
  fclose(f);
  data[*size] = 0;
  return data;
}

static uint32_t u32le(const unsigned char *p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s PACKETS PROGRAM ROUNDS REPEATS\n", argv[0]);
    return 2;
  }
  long packets_size, program_size;
  unsigned char *packets = read_file(argv[1], &packets_size);
  char *text = (char *)read_file(argv[2], &program_size);
  if (!packets || !text) {
    fprintf(stderr, "cannot read the inputs\n");
    return 1;
  }
  int rounds = atoi(argv[3]), repeats = atoi(argv[4]);
  char *cursor = text;
  int length = (int)strtol(cursor, &cursor, 10);
  struct bpf_insn *insns = calloc(length, sizeof *insns);
  for (int i = 0; i < length; i++) {
    cursor++; /* the comma */
    insns[i].code = (unsigned short)strtoul(cursor, &cursor, 10);
    insns[i].jt = (unsigned char)strtoul(cursor, &cursor, 10);
    insns[i].jf = (unsigned char)strtoul(cursor, &cursor, 10);
    insns[i].k = (uint32_t)strtoul(cursor, &cursor, 10);
  }
  uint32_t count = u32le(packets);
  const unsigned char **data = malloc(count * sizeof *data);
  uint32_t *captured = malloc(count * sizeof *captured);
  uint32_t *wire = malloc(count * sizeof *wire);
  long at = 4;
  for (uint32_t i = 0; i < count; i++) {
    captured[i] = u32le(packets + at);
    wire[i] = u32le(packets + at + 4);
    data[i] = packets + at + 8;
    at += 8 + captured[i];
  }
  for (int r = 0; r < repeats; r++) {
    struct timespec start, end;
    uint64_t sum = 0;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
    for (int round = 0; round < rounds; round++) {
      for (uint32_t i = 0; i < count; i++) {
        sum += bpf_filter(insns, data[i], wire[i], captured[i]);
      }
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &end);
    double ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
    printf("%.3f %llu\n", ns / ((double)rounds * count), (unsigned long long)sum);
  }
  return 0;
}
