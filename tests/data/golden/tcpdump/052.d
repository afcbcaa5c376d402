(000) ldh      [12]
(001) jeq      #0x800           jt 2	jf 9
(002) ld       [26]
(003) and      #0xff000000
(004) jeq      #0x7f000000      jt 9	jf 5
(005) ld       [30]
(006) and      #0xff000000
(007) jeq      #0x7f000000      jt 9	jf 8
(008) ret      #262144
(009) ret      #0
