/*
 * The pcap record-header chase in C (issue 12, session 16): the first N
 * records of bench/data/mixed_1m.pcap copied into a 2 MiB-aligned buffer
 * (4 KiB pages, or transparent huge pages with HUGE 1), then walked again and
 * again finding each next record from the last one's captured length, as the
 * Wasm walk does (bench/_walk_floor.ts `chase`); prints ns per record (the
 * least of 5 passes, process CPU time). Shows that the cost past ~200 KiB is
 * the machine's, paid by C too, and not the TLB's.
 *
 *   gcc -O2 bench/_header_chase.c -o /tmp/header_chase && /tmp/header_chase N HUGE [CAPTURE]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <sys/mman.h>
static double now(){struct timespec t;clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  int n=atoi(argv[1]); int huge=atoi(argv[2]);
  FILE*f=fopen((argc > 3 ? argv[3] : "bench/data/mixed_1m.pcap"),"rb"); size_t cap=64<<20; uint8_t*d=malloc(cap); if(f==NULL||fread(d,1,cap,f)==0) return 1;
  size_t at=24, size=0; for(int i=0;i<n;i++){uint32_t c; memcpy(&c,d+at+8,4); at+=16+c;} size=at-24;
  size_t alloc=(size+(4<<20)); uint8_t*m=mmap(0,alloc,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  uint8_t*b=(uint8_t*)(((uintptr_t)m+(2<<20)-1)&~((uintptr_t)(2<<20)-1));
  if(huge) madvise(b,size+(2<<20),MADV_HUGEPAGE); else madvise(b,size+(2<<20),MADV_NOHUGEPAGE);
  memcpy(b,d+24,size);
  long reps=(long)(4e8/n); volatile uint32_t sink=0; double best=1e9;
  for(int k=0;k<5;k++){ double t=now(); for(long r=0;r<reps/5;r++){ size_t p=0; uint32_t cnt=0; while(p+16<=size){uint32_t c; memcpy(&c,b+p+8,4); p+=16+c; cnt++;} sink+=cnt;} double e=(now()-t)/((double)(reps/5)*n)*1e9; if(e<best)best=e; }
  printf("N %d huge %d: %.2f ns/record (min of 5)\n",n,huge,best);
  FILE*s=fopen("/proc/self/smaps_rollup","r"); char line[256]; while(fgets(line,256,s)) if(strstr(line,"AnonHuge")) printf("  %s",line);
  return 0;}
