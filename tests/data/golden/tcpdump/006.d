(000) ldh      [12]
(001) jeq      #0x800           jt 2	jf 6
(002) ld       [26]
(003) jeq      #0xc0a80101      jt 12	jf 4
(004) ld       [30]
(005) jeq      #0xc0a80101      jt 12	jf 13
(006) jeq      #0x806           jt 8	jf 7
(007) jeq      #0x8035          jt 8	jf 13
(008) ld       [28]
(009) jeq      #0xc0a80101      jt 12	jf 10
(010) ld       [38]
(011) jeq      #0xc0a80101      jt 12	jf 13
(012) ret      #262144
(013) ret      #0
