/* libpcap's bpf_filter for the in-process engine benches (bench/_libpcap_ffi.ts), through FFI:
 * the thread's CPU clock, and `rounds` passes of bpf_filter over packets in one buffer. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <time.h>

double thread_cpu_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

double run_rounds(const struct bpf_insn *insns, const uint8_t *bytes, const uint32_t *offsets,
                  const uint32_t *lengths, uint32_t count, int32_t rounds) {
  double sum = 0;
  for (int32_t r = 0; r < rounds; r++)
    for (uint32_t i = 0; i < count; i++)
      sum += bpf_filter(insns, bytes + offsets[i], lengths[i], lengths[i]);
  return sum;
}

/* libpcap's own checker (`bpf_validate`): 1 if libpcap accepts the program. */
int validate_program(const struct bpf_insn *insns, int32_t count) {
  return bpf_validate(insns, count);
}
