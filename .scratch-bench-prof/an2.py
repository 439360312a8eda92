import json,sys,collections
p=json.load(open(sys.argv[1])); target=sys.argv[2]
nodes={n['id']:n for n in p['nodes']}
dt=collections.Counter()
for s,d in zip(p['samples'],p['timeDeltas']): dt[s]+=d
parent={}
for n in p['nodes']:
    for c in n.get('children',[]): parent[c]=n['id']
def key(n):
    cf=n['callFrame']; u=cf['url'].replace('file:///work/main/','')
    return f"{cf['functionName'] or '(anon)'} {u}:{cf['lineNumber']}"
agg=collections.Counter()
for nid,t in dt.items():
    if nodes[nid]['callFrame']['functionName']!=target: continue
    chain=[]; x=parent.get(nid)
    while x is not None and len(chain)<int(sys.argv[3] if len(sys.argv)>3 else 8):
        k=key(nodes[x]); 
        if 'node:' not in k: chain.append(k)
        x=parent.get(x)
    agg[' <- '.join(chain[:4])]+=t
for k,v in agg.most_common(12): print(f"{v/1000:7.0f} ms  {k}")
