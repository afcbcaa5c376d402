(000) ldb      [10]
(001) jeq      #0x4             jt 5	jf 2
(002) ldh      [0]
(003) jeq      #0x800           jt 4	jf 5
(004) ret      #262144
(005) ret      #0
