"""simdnorm.torch.LayerNorm against torch.nn.LayerNorm on one shape, one thread:
forward+backward (m(x).backward(dy), x a fresh leaf each time), forward with and
without autograd, and the bare C calls (_simdnorm.layer_norm / layer_norm_bwd on
NumPy arrays with out=). Best of 5 batches of ~0.2 s, microseconds per call.

    PYTHONPATH=build-python/site /usr/bin/python3 bench/torch_module.py ROWS COLS
"""
import time, statistics, sys
import numpy as np, torch
torch.set_num_threads(1)
import simdnorm, simdnorm.torch as snt
from simdnorm import _simdnorm as _c
simdnorm.set_num_threads(1)
rows, cols = int(sys.argv[1]), int(sys.argv[2])
def T(fn, n=None):
    fn()
    if n is None:
        t0=time.perf_counter(); fn(); dt=time.perf_counter()-t0
        n=max(1,int(0.2/max(dt,1e-7)))
    best=1e9
    for _ in range(5):
        t0=time.perf_counter()
        for _ in range(n): fn()
        best=min(best,(time.perf_counter()-t0)/n)
    return best*1e6
x=torch.randn(rows,cols); dy=torch.randn(rows,cols)
stock=torch.nn.LayerNorm(cols); ours=snt.LayerNorm(cols)
def run(m):
    xx=x.detach().requires_grad_(True); m(xx).backward(dy)
def fwd(m):
    xx=x.detach().requires_grad_(True); return m(xx)
def fwd_ng(m):
    with torch.no_grad(): return m(x)
xn=x.numpy(); g=ours.weight.detach().numpy(); b=ours.bias.detach().numpy()
y=np.empty_like(xn); dyn=dy.numpy(); dx=np.empty_like(xn)
_,mean,rstd=_c.layer_norm(xn,g,b,1e-5,out=y,return_stats=True)
r={}
for name,m in (("torch",stock),("ours",ours)):
    r[name+" fwd+bwd"]=T(lambda: run(m))
    r[name+" fwd(grad)"]=T(lambda: fwd(m))
    r[name+" fwd(nograd)"]=T(lambda: fwd_ng(m))
r["C fwd out="]=T(lambda: _c.layer_norm(xn,g,b,1e-5,out=y,return_stats=True))
r["C bwd out="]=T(lambda: _c.layer_norm_bwd(dyn,xn,mean,rstd,g,out=dx))
r["C bwd alloc"]=T(lambda: _c.layer_norm_bwd(dyn,xn,mean,rstd,g))
for k,v in r.items(): print(f"{k:20s} {v:10.1f} us")
print("ratio torch/ours fwd+bwd %.2f"%(r["torch fwd+bwd"]/r["ours fwd+bwd"]))
