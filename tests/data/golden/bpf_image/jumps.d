(000) ja       1
(001) ja       1
(002) ja       -2147483646
(003) ja       -2147483644
(004) ja       6
(005) jeq      #0x0             jt 6	jf 6
(006) jeq      #0xffffffff      jt 262	jf 262
(007) jeq      #0x7fffffff      jt 9	jf 262
(008) jeq      #0x80000000      jt 16	jf 9
(009) jeq      #0x1             jt 10	jf 19
(010) jeq      x                jt 11	jf 11
(011) jeq      x                jt 267	jf 267
(012) jeq      x                jt 14	jf 267
(013) jeq      x                jt 21	jf 14
(014) jeq      x                jt 15	jf 24
(015) jgt      #0x0             jt 16	jf 16
(016) jgt      #0xffffffff      jt 272	jf 272
(017) jgt      #0x7fffffff      jt 19	jf 272
(018) jgt      #0x80000000      jt 26	jf 19
(019) jgt      #0x1             jt 20	jf 29
(020) jgt      x                jt 21	jf 21
(021) jgt      x                jt 277	jf 277
(022) jgt      x                jt 24	jf 277
(023) jgt      x                jt 31	jf 24
(024) jgt      x                jt 25	jf 34
(025) jge      #0x0             jt 26	jf 26
(026) jge      #0xffffffff      jt 282	jf 282
(027) jge      #0x7fffffff      jt 29	jf 282
(028) jge      #0x80000000      jt 36	jf 29
(029) jge      #0x1             jt 30	jf 39
(030) jge      x                jt 31	jf 31
(031) jge      x                jt 287	jf 287
(032) jge      x                jt 34	jf 287
(033) jge      x                jt 41	jf 34
(034) jge      x                jt 35	jf 44
(035) jset     #0x0             jt 36	jf 36
(036) jset     #0xffffffff      jt 292	jf 292
(037) jset     #0x7fffffff      jt 39	jf 292
(038) jset     #0x80000000      jt 46	jf 39
(039) jset     #0x1             jt 40	jf 49
(040) jset     x                jt 41	jf 41
(041) jset     x                jt 297	jf 297
(042) jset     x                jt 44	jf 297
(043) jset     x                jt 51	jf 44
(044) jset     x                jt 45	jf 54
