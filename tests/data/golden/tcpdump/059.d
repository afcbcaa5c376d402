(000) ldh      [0]
(001) jeq      #0x4             jt 2	jf 3
(002) ret      #0
(003) ret      #262144
