"""Prints what torch.optim.AdamW does to the two tensors of tests/unit/optim.test.ts over two steps.

The test's expected values are this script's output (torch 1.13, Debian's python3-torch), rounded:
    python3 scripts/reference/adamw_reference.py
Weight decay applies to the matrix only (nanoGPT's rule: rank >= 2), as MoE Lab's AdamW does.
"""
import torch

torch.set_default_dtype(torch.float64)
w = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
norm = torch.tensor([1.0, 0.5], requires_grad=True)
optimizer = torch.optim.AdamW(
    [{"params": [w], "weight_decay": 0.1}, {"params": [norm], "weight_decay": 0.0}],
    lr=0.1,
    betas=(0.9, 0.95),
    eps=1e-8,
)
grads = [
    ([[0.1, -0.2], [0.3, 0.0]], [0.2, -0.1]),
    ([[-0.05, 0.4], [0.1, 0.2]], [0.3, 0.3]),
]
for step, (gw, gn) in enumerate(grads, start=1):
    w.grad = torch.tensor(gw)
    norm.grad = torch.tensor(gn)
    optimizer.step()
    print(f"step {step}: w {w.detach().flatten().tolist()} norm {norm.detach().tolist()}")
