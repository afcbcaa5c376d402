(000) ldh      [12]
(001) jgt      #0x5dc           jt 4	jf 2
(002) ldh      [14]
(003) jeq      #0xffff          jt 4	jf 5
(004) ret      #0
(005) ret      #262144
