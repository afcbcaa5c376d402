(000) unimp    0x100
(001) unimp    0x106
(002) unimp    0x120
(003) unimp    0x128
(004) unimp    0x1015           jt 6	jf 7
(005) unimp    0x8006
(006) unimp    0xffff
(007) unimp    0xff00
(008) unimp    0x115            jt 10	jf 11
