(000) ldh      [12]
(001) jeq      #0x86dd          jt 2	jf 11
(002) ld       [38]
(003) jeq      #0x0             jt 4	jf 11
(004) ld       [42]
(005) jeq      #0x0             jt 6	jf 11
(006) ld       [46]
(007) jeq      #0x0             jt 8	jf 11
(008) ld       [50]
(009) jeq      #0x1             jt 10	jf 11
(010) ret      #262144
(011) ret      #0
