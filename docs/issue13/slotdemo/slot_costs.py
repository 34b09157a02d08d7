import sys, re, collections
ev=None; fn=None; pending=None
self_c=collections.defaultdict(lambda:[0]*9); incl_out=collections.defaultdict(lambda:[0]*9); calls_in=collections.Counter()
cfn=None
for line in open(sys.argv[1]):
    line=line.rstrip('\n')
    if line.startswith('events:'): ev=line.split()[1:]; continue
    if line.startswith('fn='): fn=line[3:]; continue
    if line.startswith('cfn='): cfn=line[4:]; continue
    if line.startswith('calls='): pending=int(line[6:].split()[0]); continue
    if not line or not (line[0].isdigit() or line[0] in '+-*'): continue
    vals=[int(x) for x in line.split()[1:]]; vals+= [0]*(9-len(vals))
    if pending is not None:
        for i,v in enumerate(vals): incl_out[fn][i]+=v
        calls_in[cfn]+=pending; pending=None
    else:
        for i,v in enumerate(vals): self_c[fn][i]+=v
def est(c): return c[0]+c[1]+c[2]+4*(c[3]+c[4]+c[5])+30*(c[6]+c[7]+c[8])
for k in range(int(sys.argv[2])):
    f='perf_slot_%d'%k
    inc=[a+b for a,b in zip(self_c[f],incl_out[f])]
    print(f, 'calls',calls_in[f],'Ir',inc[0],'Ir/call',round(inc[0]/max(1,calls_in[f]),1),'est.cycles',est(inc), 'est/call', round(est(inc)/max(1,calls_in[f]),1))
if len(sys.argv) > 3:
    for f in sys.argv[3:]:
        inc=[a+b for a,b in zip(self_c[f],incl_out[f])]
        print(f,'calls',calls_in[f],'Ir',inc[0],'Ir/call',round(inc[0]/max(1,calls_in[f]),1))
