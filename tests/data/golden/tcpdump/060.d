(000) ldh      [0]
(001) jeq      #0x4             jt 2	jf 5
(002) ldh      [14]
(003) jeq      #0x806           jt 4	jf 5
(004) ret      #262144
(005) ret      #0
