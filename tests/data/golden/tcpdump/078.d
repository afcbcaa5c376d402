(000) ldb      [3]
(001) lsh      #8
(002) tax      
(003) ldb      [2]
(004) or       x
(005) st       M[0]
(006) tax      
(007) ld       [x + 6]
(008) jeq      #0x22334455      jt 9	jf 12
(009) ldh      [x + 4]
(010) jeq      #0x11            jt 11	jf 12
(011) ret      #262144
(012) ret      #0
