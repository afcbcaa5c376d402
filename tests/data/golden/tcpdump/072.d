(000) ld       #0x0
(001) ldb      [0]
(002) and      #0xf
(003) jeq      #0x5             jt 4	jf 5
(004) ret      #0
(005) ret      #262144
