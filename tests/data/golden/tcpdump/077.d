(000) ldx      #0x0
(001) txa      
(002) add      #24
(003) st       M[0]
(004) ldb      [x + 0]
(005) jset     #0x8             jt 6	jf 11
(006) jset     #0x4             jt 11	jf 7
(007) jset     #0x80            jt 8	jf 11
(008) ld       M[0]
(009) add      #2
(010) st       M[0]
(011) ldb      [0]
(012) jset     #0x4             jt 27	jf 13
(013) ldb      [0]
(014) jset     #0x8             jt 15	jf 27
(015) ldx      M[0]
(016) ldh      [x + 6]
(017) jeq      #0x86dd          jt 18	jf 27
(018) ldx      M[0]
(019) ldb      [x + 14]
(020) jeq      #0x6             jt 21	jf 27
(021) ldx      M[0]
(022) ldh      [x + 48]
(023) jeq      #0x50            jt 56	jf 24
(024) ldx      M[0]
(025) ldh      [x + 50]
(026) jeq      #0x50            jt 56	jf 27
(027) ldb      [0]
(028) jset     #0x4             jt 57	jf 29
(029) ldb      [0]
(030) jset     #0x8             jt 31	jf 57
(031) ldx      M[0]
(032) ldh      [x + 6]
(033) jeq      #0x800           jt 34	jf 57
(034) ldx      M[0]
(035) ldb      [x + 17]
(036) jeq      #0x6             jt 37	jf 57
(037) ldx      M[0]
(038) ldh      [x + 14]
(039) jset     #0x1fff          jt 57	jf 40
(040) ldx      M[0]
(041) ldb      [x + 8]
(042) and      #0xf
(043) lsh      #2
(044) add      x
(045) tax      
(046) ldh      [x + 8]
(047) jeq      #0x50            jt 56	jf 48
(048) ldx      M[0]
(049) ldb      [x + 8]
(050) and      #0xf
(051) lsh      #2
(052) add      x
(053) tax      
(054) ldh      [x + 10]
(055) jeq      #0x50            jt 56	jf 57
(056) ret      #262144
(057) ret      #0
