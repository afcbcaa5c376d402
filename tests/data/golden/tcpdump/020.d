(000) ldh      [12]
(001) jeq      #0x8864          jt 2	jf 5
(002) ldh      [20]
(003) jeq      #0x21            jt 4	jf 5
(004) ret      #262144
(005) ret      #0
