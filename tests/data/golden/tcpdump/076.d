(000) ldb      [0]
(001) and      #0xc
(002) jeq      #0x8             jt 3	jf 4
(003) ret      #262144
(004) ret      #0
