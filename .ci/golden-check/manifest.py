import hashlib, os, re, sys
def manifest(directory, base):
    lines=[]
    names=[]
    for d,dirs,fs in os.walk(directory):
        for f in fs:
            names.append(os.path.relpath(os.path.join(d,f),directory))
    for name in sorted(names):
        if name=='.neuroendo.lock': continue
        text=open(os.path.join(directory,name),encoding='utf-8',newline='').read().replace(base,'BASE')
        if name=='run-summary.json':
            text=re.sub(r'"finished" : "[^"]*"','"finished" : "…"',text)
        elif name=='.neuroendo-outputs':
            text='\n'.join(l for l in text.split('\n') if l and not l.endswith(' run-summary.json'))
        lines.append(hashlib.sha256(text.encode()).hexdigest()+'  '+name)
    return lines
if __name__=='__main__':
    out,base,golden=sys.argv[1:4]
    mine=manifest(out,base)
    gold=open(golden).read().split('\n')
    gold=[l for l in gold if l]
    a=set(mine); b=set(gold)
    diff=sorted({l.split('  ',1)[1] for l in a^b})
    print(os.path.basename(golden), 'files', len(mine), 'golden', len(gold), 'differ:', diff[:20])
