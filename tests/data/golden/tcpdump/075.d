(000) ldh      [2]
(001) jeq      #0x21            jt 2	jf 5
(002) ldb      [13]
(003) jeq      #0x6             jt 4	jf 5
(004) ret      #262144
(005) ret      #0
