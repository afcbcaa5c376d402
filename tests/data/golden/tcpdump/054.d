(000) ldh      [12]
(001) jeq      #0x6003          jt 2	jf 43
(002) ldb      [16]
(003) and      #0x7
(004) jeq      #0x2             jt 5	jf 7
(005) ldh      [19]
(006) jeq      #0x204           jt 42	jf 7
(007) ldh      [16]
(008) and      #0xff07
(009) jeq      #0x8102          jt 10	jf 12
(010) ldh      [20]
(011) jeq      #0x204           jt 42	jf 12
(012) ldb      [16]
(013) and      #0x7
(014) jeq      #0x6             jt 15	jf 17
(015) ldh      [31]
(016) jeq      #0x204           jt 42	jf 17
(017) ldh      [16]
(018) and      #0xff07
(019) jeq      #0x8106          jt 20	jf 22
(020) ldh      [32]
(021) jeq      #0x204           jt 42	jf 22
(022) ldb      [16]
(023) and      #0x7
(024) jeq      #0x2             jt 25	jf 27
(025) ldh      [17]
(026) jeq      #0x204           jt 42	jf 27
(027) ldh      [16]
(028) and      #0xff07
(029) jeq      #0x8102          jt 30	jf 32
(030) ldh      [18]
(031) jeq      #0x204           jt 42	jf 32
(032) ldb      [16]
(033) and      #0x7
(034) jeq      #0x6             jt 35	jf 37
(035) ldh      [23]
(036) jeq      #0x204           jt 42	jf 37
(037) ldh      [16]
(038) and      #0xff07
(039) jeq      #0x8106          jt 40	jf 43
(040) ldh      [24]
(041) jeq      #0x204           jt 42	jf 43
(042) ret      #262144
(043) ret      #0
