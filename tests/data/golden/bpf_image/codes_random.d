(000) ld       #0xd6651c2c
(001) ldx      #0x3ead62fb
(002) st       M[551188310]
(003) stx      M[-1776570451]
(004) add      #1695770928
(005) ja       -1150499115
(006) ret      #-1610630086
(007) tax      
(008) unimp    0x8
(009) unimp    0x9
(010) unimp    0xa
(011) unimp    0xb
(012) add      x
(013) unimp    0xd
(014) unimp    0xe
(015) unimp    0xf
(016) unimp    0x10
(017) unimp    0x11
(018) unimp    0x12
(019) unimp    0x13
(020) sub      #422948032
(021) jeq      #0x3e944b9f      jt 271	jf 84
(022) ret      
(023) unimp    0x17
(024) unimp    0x18
(025) unimp    0x19
(026) unimp    0x1a
(027) unimp    0x1b
(028) sub      x
(029) jeq      x                jt 191	jf 228
(030) unimp    0x1e
(031) unimp    0x1f
(032) ld       [-1077331636]
(033) unimp    0x21
(034) unimp    0x22
(035) unimp    0x23
(036) mul      #-1542259632
(037) jgt      #0xcccb4c6f      jt 111	jf 116
(038) unimp    0x26
(039) unimp    0x27
(040) ldh      [613290004]
(041) unimp    0x29
(042) unimp    0x2a
(043) unimp    0x2b
(044) mul      x
(045) jgt      x                jt 287	jf 260
(046) unimp    0x2e
(047) unimp    0x2f
(048) ldb      [-168068644]
(049) unimp    0x31
(050) unimp    0x32
(051) unimp    0x33
(052) div      #-864266272
(053) jge      #0x73d6c93f      jt 207	jf 148
(054) unimp    0x36
(055) unimp    0x37
(056) unimp    0x38
(057) unimp    0x39
(058) unimp    0x3a
(059) unimp    0x3b
(060) div      x
(061) jge      x                jt 127	jf 292
(062) unimp    0x3e
(063) unimp    0x3f
(064) ld       [x + 1019512428]
(065) unimp    0x41
(066) unimp    0x42
(067) unimp    0x43
(068) or       #0xc02bf70
(069) jset     #0xa33bc20f      jt 303	jf 180
(070) unimp    0x46
(071) unimp    0x47
(072) ldh      [x + -580359884]
(073) unimp    0x49
(074) unimp    0x4a
(075) unimp    0x4b
(076) or       x
(077) jset     x                jt 223	jf 324
(078) unimp    0x4e
(079) unimp    0x4f
(080) ldb      [x + -96116996]
(081) unimp    0x51
(082) unimp    0x52
(083) unimp    0x53
(084) and      #0x1ef73300
(085) unimp    0x55             jt 143	jf 212
(086) unimp    0x56
(087) unimp    0x57
(088) unimp    0x58
(089) unimp    0x59
(090) unimp    0x5a
(091) unimp    0x5b
(092) and      x
(093) unimp    0x5d             jt 319	jf 100
(094) unimp    0x5e
(095) unimp    0x5f
(096) ld       M[-1554054260]
(097) ldx      M[-1423410725]
(098) unimp    0x62
(099) unimp    0x63
(100) lsh      #-1804946800
(101) unimp    0x65             jt 239	jf 244
(102) unimp    0x66
(103) unimp    0x67
(104) unimp    0x68
(105) unimp    0x69
(106) unimp    0x6a
(107) unimp    0x6b
(108) lsh      x
(109) unimp    0x6d             jt 159	jf 132
(110) unimp    0x6e
(111) unimp    0x6f
(112) unimp    0x70
(113) unimp    0x71
(114) unimp    0x72
(115) unimp    0x73
(116) rsh      #1580088864
(117) unimp    0x75             jt 335	jf 276
(118) unimp    0x76
(119) unimp    0x77
(120) unimp    0x78
(121) unimp    0x79
(122) unimp    0x7a
(123) unimp    0x7b
(124) rsh      x
(125) unimp    0x7d             jt 255	jf 164
(126) unimp    0x7e
(127) unimp    0x7f
(128) ld       #pktlen
(129) unimp    0x81
(130) unimp    0x82
(131) unimp    0x83
(132) neg      
(133) unimp    0x85             jt 175	jf 308
(134) unimp    0x86
(135) txa      
(136) unimp    0x88
(137) unimp    0x89
(138) unimp    0x8a
(139) unimp    0x8b
(140) unimp    0x8c
(141) unimp    0x8d             jt 351	jf 196
(142) unimp    0x8e
(143) unimp    0x8f
(144) unimp    0x90
(145) unimp    0x91
(146) unimp    0x92
(147) unimp    0x93
(148) mod      #61438272
(149) unimp    0x95             jt 271	jf 340
(150) unimp    0x96
(151) unimp    0x97
(152) unimp    0x98
(153) unimp    0x99
(154) unimp    0x9a
(155) unimp    0x9b
(156) mod      x
(157) unimp    0x9d             jt 191	jf 228
(158) unimp    0x9e
(159) unimp    0x9f
(160) unimp    0xa0
(161) unimp    0xa1
(162) unimp    0xa2
(163) unimp    0xa3
(164) xor      #0xc0c328d0
(165) unimp    0xa5             jt 367	jf 372
(166) unimp    0xa6
(167) unimp    0xa7
(168) unimp    0xa8
(169) unimp    0xa9
(170) unimp    0xaa
(171) unimp    0xab
(172) xor      x
(173) unimp    0xad             jt 287	jf 260
(174) unimp    0xae
(175) unimp    0xaf
(176) unimp    0xb0
(177) ldxb     4*([766148331]&0xf)
(178) unimp    0xb2
(179) unimp    0xb3
(180) unimp    0xb4
(181) unimp    0xb5             jt 207	jf 404
(182) unimp    0xb6
(183) unimp    0xb7
(184) unimp    0xb8
(185) unimp    0xb9
(186) unimp    0xba
(187) unimp    0xbb
(188) unimp    0xbc
(189) unimp    0xbd             jt 383	jf 292
(190) unimp    0xbe
(191) unimp    0xbf
(192) unimp    0xc0
(193) unimp    0xc1
(194) unimp    0xc2
(195) unimp    0xc3
(196) unimp    0xc4
(197) unimp    0xc5             jt 303	jf 436
(198) unimp    0xc6
(199) unimp    0xc7
(200) unimp    0xc8
(201) unimp    0xc9
(202) unimp    0xca
(203) unimp    0xcb
(204) unimp    0xcc
(205) unimp    0xcd             jt 223	jf 324
(206) unimp    0xce
(207) unimp    0xcf
(208) unimp    0xd0
(209) unimp    0xd1
(210) unimp    0xd2
(211) unimp    0xd3
(212) unimp    0xd4
(213) unimp    0xd5             jt 399	jf 468
(214) unimp    0xd6
(215) unimp    0xd7
(216) unimp    0xd8
(217) unimp    0xd9
(218) unimp    0xda
(219) unimp    0xdb
(220) unimp    0xdc
(221) unimp    0xdd             jt 319	jf 356
(222) unimp    0xde
(223) unimp    0xdf
(224) unimp    0xe0
(225) unimp    0xe1
(226) unimp    0xe2
(227) unimp    0xe3
(228) unimp    0xe4
(229) unimp    0xe5             jt 239	jf 244
(230) unimp    0xe6
(231) unimp    0xe7
(232) unimp    0xe8
(233) unimp    0xe9
(234) unimp    0xea
(235) unimp    0xeb
(236) unimp    0xec
(237) unimp    0xed             jt 415	jf 388
(238) unimp    0xee
(239) unimp    0xef
(240) unimp    0xf0
(241) unimp    0xf1
(242) unimp    0xf2
(243) unimp    0xf3
(244) unimp    0xf4
(245) unimp    0xf5             jt 335	jf 276
(246) unimp    0xf6
(247) unimp    0xf7
(248) unimp    0xf8
(249) unimp    0xf9
(250) unimp    0xfa
(251) unimp    0xfb
(252) unimp    0xfc
(253) unimp    0xfd             jt 255	jf 420
(254) unimp    0xfe
(255) unimp    0xff
