(000) ldh      [12]
(001) jeq      #0x800           jt 2	jf 16
(002) ldb      [23]
(003) jeq      #0x6             jt 4	jf 9
(004) ldh      [20]
(005) jset     #0x1fff          jt 16	jf 6
(006) ldxb     4*([14]&0xf)
(007) ldb      [x + 27]
(008) jeq      #0x2             jt 15	jf 16
(009) jeq      #0x11            jt 10	jf 16
(010) ldh      [20]
(011) jset     #0x1fff          jt 16	jf 12
(012) ldxb     4*([14]&0xf)
(013) ldh      [x + 14]
(014) jeq      #0x35            jt 15	jf 16
(015) ret      #262144
(016) ret      #0
