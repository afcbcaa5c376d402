(000) ldh      [12]
(001) jeq      #0x86dd          jt 2	jf 9
(002) ldb      [20]
(003) jeq      #0x6             jt 4	jf 22
(004) ldh      [54]
(005) jge      #0x3e8           jt 6	jf 7
(006) jgt      #0x7d0           jt 7	jf 21
(007) ldh      [56]
(008) jge      #0x3e8           jt 20	jf 22
(009) jeq      #0x800           jt 10	jf 22
(010) ldb      [23]
(011) jeq      #0x6             jt 12	jf 22
(012) ldh      [20]
(013) jset     #0x1fff          jt 22	jf 14
(014) ldxb     4*([14]&0xf)
(015) ldh      [x + 14]
(016) jge      #0x3e8           jt 17	jf 18
(017) jgt      #0x7d0           jt 18	jf 21
(018) ldh      [x + 16]
(019) jge      #0x3e8           jt 20	jf 22
(020) jgt      #0x7d0           jt 22	jf 21
(021) ret      #262144
(022) ret      #0
