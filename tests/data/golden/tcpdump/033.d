(000) ldh      [12]
(001) jeq      #0x800           jt 2	jf 9
(002) ldb      [22]
(003) lsh      #2
(004) jgt      #0xa             jt 5	jf 9
(005) ldb      [22]
(006) rsh      #1
(007) jge      #0x64            jt 9	jf 8
(008) ret      #262144
(009) ret      #0
