"""simdnorm.torch BatchNorm2d / GroupNorm / BatchNorm1d against torch.nn's on a few
shapes, one thread: forward+backward (m(x).backward(dy), x a fresh leaf each
time), best of 5 batches of ~0.2 s, microseconds per call.

    PYTHONPATH=build-python/site /usr/bin/python3 bench/torch_channel_modules.py
"""
import time, sys, torch
torch.set_num_threads(1)
import simdnorm, simdnorm.torch as snt
simdnorm.set_num_threads(1)
def T(fn):
    fn(); t0=time.perf_counter(); fn(); dt=time.perf_counter()-t0
    n=max(1,int(0.2/max(dt,1e-7))); best=1e9
    for _ in range(5):
        t0=time.perf_counter()
        for _ in range(n): fn()
        best=min(best,(time.perf_counter()-t0)/n)
    return best*1e6
for kind, shape in [("bn",(8,16,8,8)),("bn",(32,64,14,14)),("gn",(8,32,8,8)),("gn",(8,64,32,32)),("bn1",(64,256))]:
    x=torch.randn(*shape); dy=torch.randn(*shape); c=shape[1]
    if kind=="bn": st, ou = torch.nn.BatchNorm2d(c), snt.BatchNorm2d(c)
    elif kind=="bn1": st, ou = torch.nn.BatchNorm1d(c), snt.BatchNorm1d(c)
    else: st, ou = torch.nn.GroupNorm(8,c), snt.GroupNorm(8,c)
    def run(m):
        xx=x.detach().requires_grad_(True); m(xx).backward(dy)
    ts=T(lambda: run(st)); to=T(lambda: run(ou))
    print(f"{kind} {shape}: torch {ts:8.1f} us  ours {to:8.1f} us  ratio {ts/to:5.2f}")
