(000) ld       #0x0
(001) ldb      [6]
(002) jeq      #0x6             jt 3	jf 8
(003) ldh      [40]
(004) jeq      #0x16            jt 7	jf 5
(005) ldh      [42]
(006) jeq      #0x16            jt 7	jf 8
(007) ret      #262144
(008) ret      #0
