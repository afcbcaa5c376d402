(000) ld       #0x1
(001) ldb      [9]
(002) jeq      #0x11            jt 3	jf 11
(003) ldh      [6]
(004) jset     #0x1fff          jt 11	jf 5
(005) ldxb     4*([0]&0xf)
(006) ldh      [x + 0]
(007) jeq      #0x35            jt 10	jf 8
(008) ldh      [x + 2]
(009) jeq      #0x35            jt 10	jf 11
(010) ret      #262144
(011) ret      #0
