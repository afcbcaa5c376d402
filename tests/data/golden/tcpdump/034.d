(000) ldh      [12]
(001) jeq      #0x800           jt 2	jf 8
(002) ldb      [14]
(003) and      #0xf
(004) tax      
(005) ldb      [x + 14]
(006) jeq      #0x4             jt 7	jf 8
(007) ret      #262144
(008) ret      #0
