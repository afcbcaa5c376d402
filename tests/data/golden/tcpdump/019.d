(000) ldh      [12]
(001) jeq      #0x8847          jt 2	jf 9
(002) ldb      [16]
(003) and      #0x1
(004) jeq      #0x1             jt 5	jf 9
(005) ldb      [18]
(006) and      #0xf0
(007) jeq      #0x40            jt 8	jf 9
(008) ret      #262144
(009) ret      #0
