(000) ldh      [12]
(001) jgt      #0x5dc           jt 5	jf 2
(002) ldb      [14]
(003) jeq      #0x42            jt 4	jf 5
(004) ret      #262144
(005) ret      #0
