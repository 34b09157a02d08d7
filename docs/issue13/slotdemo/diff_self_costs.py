import sys, collections
def selfc(path):
    fn=None; pending=False; out=collections.Counter()
    for line in open(path):
        line=line.rstrip('\n')
        if line.startswith('fn='): fn=line[3:].split("'")[0]; continue
        if line.startswith('calls='): pending=True; continue
        if not line or not (line[0].isdigit() or line[0] in '+-*'): continue
        parts=line.split()
        if pending: pending=False; continue
        if len(parts)>1: out[fn]+=int(parts[1])
    return out
a=selfc(sys.argv[1]); b=selfc(sys.argv[2])
d=sorted(((b[k]-a[k],k) for k in set(a)|set(b)), key=lambda x:-abs(x[0]))
for delta,k in d[:12]: print(delta, a[k], k)
