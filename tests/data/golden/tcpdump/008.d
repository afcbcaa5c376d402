(000) ldh      [12]
(001) jeq      #0x800           jt 2	jf 7
(002) ld       [26]
(003) jeq      #0xa010203       jt 4	jf 15
(004) ld       [30]
(005) and      #0xfff00000
(006) jeq      #0xac100000      jt 14	jf 15
(007) jeq      #0x806           jt 9	jf 8
(008) jeq      #0x8035          jt 9	jf 15
(009) ld       [28]
(010) jeq      #0xa010203       jt 11	jf 15
(011) ld       [38]
(012) and      #0xfff00000
(013) jeq      #0xac100000      jt 14	jf 15
(014) ret      #262144
(015) ret      #0
