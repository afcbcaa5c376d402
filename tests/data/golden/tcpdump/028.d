(000) ld       #pktlen
(001) jge      #0x40            jt 2	jf 4
(002) jgt      #0x5dc           jt 4	jf 3
(003) ret      #262144
(004) ret      #0
