(000) ldh      [12]
(001) jeq      #0x86dd          jt 2	jf 3
(002) ret      #262144
(003) ret      #0
