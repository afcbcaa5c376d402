(000) ldh      [12]
(001) jeq      #0x8100          jt 4	jf 2
(002) jeq      #0x88a8          jt 4	jf 3
(003) jeq      #0x9100          jt 4	jf 18
(004) ldh      [14]
(005) and      #0xfff
(006) jeq      #0x64            jt 7	jf 18
(007) ldh      [16]
(008) jeq      #0x800           jt 9	jf 11
(009) ldb      [27]
(010) jeq      #0x6             jt 17	jf 18
(011) jeq      #0x86dd          jt 12	jf 18
(012) ldb      [24]
(013) jeq      #0x6             jt 17	jf 14
(014) jeq      #0x2c            jt 15	jf 18
(015) ldb      [58]
(016) jeq      #0x6             jt 17	jf 18
(017) ret      #262144
(018) ret      #0
