(000) ldh      [12]
(001) jeq      #0x800           jt 2	jf 8
(002) ldh      [16]
(003) mul      #3
(004) div      #2
(005) sub      #1
(006) jgt      #0x64            jt 7	jf 8
(007) ret      #262144
(008) ret      #0
