#!/usr/bin/env python3
"""Averages generator checkpoints (safetensors) element-wise: python3 scripts/average_checkpoints.py OUT IN1 IN2 ...

Used for the bundled model (the mean of epochs 20, 25, 30, 35 and 40 of one run), which smooths the trajectory
that a single GAN checkpoint jitters. Integer tensors (batch-norm counters) are taken from the first file.
"""
import json, struct, sys, numpy as np
def read(p):
    b=open(p,'rb').read(); n=struct.unpack('<Q',b[:8])[0]; h=json.loads(b[8:8+n]); base=8+n; out={}
    meta=h.pop('__metadata__',None)
    for k,v in h.items():
        s,e=v['data_offsets']; dt={'F32':np.float32,'I64':np.int64}[v['dtype']]
        out[k]=(np.frombuffer(b[base+s:base+e],dtype=dt).reshape(v['shape']),v['dtype'])
    return out,meta
def write(p,d,meta):
    h={}; off=0; blobs=[]
    for k in sorted(d):
        a,dt=d[k]; raw=a.astype({'F32':np.float32,'I64':np.int64}[dt]).tobytes()
        h[k]={'dtype':dt,'shape':list(a.shape),'data_offsets':[off,off+len(raw)]}; off+=len(raw); blobs.append(raw)
    if meta: h['__metadata__']=meta
    hj=json.dumps(h).encode(); hj+=b' '*((8-len(hj)%8)%8)
    open(p,'wb').write(struct.pack('<Q',len(hj))+hj+b''.join(blobs))
ins=[read(p) for p in sys.argv[2:]]
d={}
for k,(a,dt) in ins[0][0].items():
    if dt=='I64': d[k]=(a,dt)
    else: d[k]=(np.mean([x[0][k][0] for x in ins],axis=0),dt)
write(sys.argv[1],d,ins[0][1])
