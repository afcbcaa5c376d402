(000) ldh      [12]
(001) jeq      #0x800           jt 2	jf 8
(002) ldb      [15]
(003) or       #0x1
(004) jeq      #0x1             jt 5	jf 8
(005) ldb      [15]
(006) jset     #0x2             jt 8	jf 7
(007) ret      #262144
(008) ret      #0
