import json,sys,collections
p=json.load(open(sys.argv[1]))
nodes={n['id']:n for n in p['nodes']}
dt=collections.Counter()
samples=p['samples']; deltas=p['timeDeltas']
for s,d in zip(samples,deltas): dt[s]+=d
parent={}
for n in p['nodes']:
    for c in n.get('children',[]): parent[c]=n['id']
def key(n):
    cf=n['callFrame']; u=cf['url'].replace('file:///work/main/','')
    return f"{cf['functionName'] or '(anon)'} {u}:{cf['lineNumber']}"
selfc=collections.Counter(); incl=collections.Counter(); pkg=collections.Counter()
total=sum(dt.values())
for nid,t in dt.items():
    n=nodes[nid]; selfc[key(n)]+=t
    u=n['callFrame']['url']
    if 'node_modules/' in u: pk=u.split('node_modules/')[-1].split('/')[0]; pk = pk if not pk.startswith('@') else '/'.join(u.split('node_modules/')[-1].split('/')[:2])
    elif u.startswith('node:'): pk='node-internal'
    elif u=='' : pk='(native/'+n['callFrame']['functionName']+')'
    else: pk=u.replace('file:///work/main/','')
    pkg[pk]+=t
    seen=set(); x=nid
    while x is not None:
        k=key(nodes[x])
        if k not in seen: incl[k]+=t; seen.add(k)
        x=parent.get(x)
print('total ms',total/1000)
print('--- by package/file (self)')
for k,v in pkg.most_common(25): print(f"{v/1000:8.0f} ms {100*v/total:5.1f}% {k}")
print('--- self top')
for k,v in selfc.most_common(30): print(f"{v/1000:8.0f} ms {100*v/total:5.1f}% {k}")
if len(sys.argv)>2:
  print('--- inclusive matching')
  for k,v in incl.most_common():
    if any(w in k for w in sys.argv[2].split(',')): print(f"{v/1000:8.0f} ms {100*v/total:5.1f}% {k}")
