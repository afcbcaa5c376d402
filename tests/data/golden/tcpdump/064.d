(000) ldb      [0]
(001) and      #0xf0
(002) jeq      #0x60            jt 3	jf 9
(003) ldb      [6]
(004) jeq      #0x6             jt 5	jf 22
(005) ldh      [40]
(006) jeq      #0x50            jt 21	jf 7
(007) ldh      [42]
(008) jeq      #0x50            jt 21	jf 22
(009) ldb      [0]
(010) and      #0xf0
(011) jeq      #0x40            jt 12	jf 22
(012) ldb      [9]
(013) jeq      #0x6             jt 14	jf 22
(014) ldh      [6]
(015) jset     #0x1fff          jt 22	jf 16
(016) ldxb     4*([0]&0xf)
(017) ldh      [x + 0]
(018) jeq      #0x50            jt 21	jf 19
(019) ldh      [x + 2]
(020) jeq      #0x50            jt 21	jf 22
(021) ret      #262144
(022) ret      #0
