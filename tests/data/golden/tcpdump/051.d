(000) ldh      [12]
(001) jeq      #0x86dd          jt 13	jf 2
(002) jeq      #0x800           jt 3	jf 13
(003) ldb      [23]
(004) jeq      #0x6             jt 5	jf 13
(005) ldh      [20]
(006) jset     #0x1fff          jt 13	jf 7
(007) ldxb     4*([14]&0xf)
(008) ldh      [x + 16]
(009) jeq      #0x1bb           jt 10	jf 13
(010) ldb      [x + 27]
(011) jset     #0x8             jt 12	jf 13
(012) ret      #262144
(013) ret      #0
