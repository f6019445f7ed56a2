"""An independent PyTorch reference for MoE Lab's TypeScript Mixtral.

It transcribes Hugging Face transformers' `modeling_mixtral.py` (eager attention path, v4.4x) op for op,
builds a tiny random Mixtral, and writes, into the output folder:
  config.json, model.safetensors (F32)  - a checkpoint in the HF layout, as PyTorch would export it
  expected.json                         - the ids fed in, the logits, and per layer the hidden states and
                                          router logits this reference computes

The unit test tests/unit/transformer.test.ts loads that folder with our checkpoint loader and
checks that our tfjs forward pass gives the same logits. Regenerate (needs PyTorch; Debian: python3-torch):
  /usr/bin/python3 scripts/reference/mixtral_reference.py tests/fixtures/tiny-mixtral-torch
"""

import json
import math
import struct
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

CONFIG = {
    "architectures": ["MixtralForCausalLM"],
    "model_type": "mixtral",
    "vocab_size": 61,
    "hidden_size": 32,
    "intermediate_size": 48,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "num_local_experts": 4,
    "num_experts_per_tok": 2,
    "max_position_embeddings": 128,
    "rope_theta": 10000.0,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": False,
    "router_aux_loss_coef": 0.02,
    "hidden_act": "silu",
    "torch_dtype": "float32",
    "bos_token_id": 1,
    "eos_token_id": 2,
    "sliding_window": None,
    "initializer_range": 0.02,
}
IDS = [[1, 17, 5, 33, 60, 2, 9, 41, 12, 7], [3, 3, 3, 50, 28, 19, 0, 44, 21, 8]]


def tensor_specs(c):
    d, h = c["hidden_size"], c["intermediate_size"]
    hd = d // c["num_attention_heads"]
    specs = [("model.embed_tokens.weight", [c["vocab_size"], d])]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}"
        specs += [
            (f"{p}.input_layernorm.weight", [d]),
            (f"{p}.self_attn.q_proj.weight", [c["num_attention_heads"] * hd, d]),
            (f"{p}.self_attn.k_proj.weight", [c["num_key_value_heads"] * hd, d]),
            (f"{p}.self_attn.v_proj.weight", [c["num_key_value_heads"] * hd, d]),
            (f"{p}.self_attn.o_proj.weight", [d, c["num_attention_heads"] * hd]),
            (f"{p}.post_attention_layernorm.weight", [d]),
            (f"{p}.block_sparse_moe.gate.weight", [c["num_local_experts"], d]),
        ]
        for j in range(c["num_local_experts"]):
            e = f"{p}.block_sparse_moe.experts.{j}"
            specs += [(f"{e}.w1.weight", [h, d]), (f"{e}.w2.weight", [d, h]), (f"{e}.w3.weight", [h, d])]
    specs.append(("model.norm.weight", [d]))
    if not c["tie_word_embeddings"]:
        specs.append(("lm_head.weight", [c["vocab_size"], d]))
    return specs


def rms_norm(x, weight, eps):  # MixtralRMSNorm
    variance = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def rope(seq, dim, theta):  # MixtralRotaryEmbedding, default rope type
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    freqs = torch.outer(torch.arange(seq).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def repeat_kv(x, n_rep):
    b, kv, s, hd = x.shape
    return x[:, :, None, :, :].expand(b, kv, n_rep, s, hd).reshape(b, kv * n_rep, s, hd)


def attention(x, w, p, c):
    b, s, d = x.shape
    heads, kv_heads = c["num_attention_heads"], c["num_key_value_heads"]
    hd = d // heads
    q = F.linear(x, w[f"{p}.q_proj.weight"]).view(b, s, heads, hd).transpose(1, 2)
    k = F.linear(x, w[f"{p}.k_proj.weight"]).view(b, s, kv_heads, hd).transpose(1, 2)
    v = F.linear(x, w[f"{p}.v_proj.weight"]).view(b, s, kv_heads, hd).transpose(1, 2)
    cos, sin = rope(s, hd, c["rope_theta"])
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    k, v = repeat_kv(k, heads // kv_heads), repeat_kv(v, heads // kv_heads)
    scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(hd)
    mask = torch.full((s, s), torch.finfo(torch.float32).min).triu(1)
    probs = F.softmax(scores + mask, dim=-1, dtype=torch.float32)
    out = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, heads * hd)
    return F.linear(out, w[f"{p}.o_proj.weight"])


def sparse_moe(x, w, p, c, trace):  # MixtralSparseMoeBlock
    b, s, d = x.shape
    x = x.view(-1, d)
    router_logits = F.linear(x, w[f"{p}.gate.weight"])
    trace["router_logits"].append(router_logits.view(b, s, -1))
    routing_weights = F.softmax(router_logits, dim=1, dtype=torch.float)
    routing_weights, selected = torch.topk(routing_weights, c["num_experts_per_tok"], dim=-1)
    routing_weights /= routing_weights.sum(dim=-1, keepdim=True)
    out = torch.zeros_like(x)
    for j in range(c["num_local_experts"]):
        e = f"{p}.experts.{j}"
        rows, slot = torch.where(selected == j)
        if rows.numel() == 0:
            continue
        h = F.silu(F.linear(x[rows], w[f"{e}.w1.weight"])) * F.linear(x[rows], w[f"{e}.w3.weight"])
        out.index_add_(0, rows, F.linear(h, w[f"{e}.w2.weight"]) * routing_weights[rows, slot, None])
    return out.view(b, s, d)


def forward(ids, w, c):
    """Logits, and per layer the residual stream after the layer and the router's logits (as llm-viz checks
    each stage), so a mismatch in the TypeScript port names the layer where it starts."""
    trace = {"hidden": [], "router_logits": []}
    x = w["model.embed_tokens.weight"][ids]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}"
        x = x + attention(rms_norm(x, w[f"{p}.input_layernorm.weight"], c["rms_norm_eps"]), w, f"{p}.self_attn", c)
        x = x + sparse_moe(
            rms_norm(x, w[f"{p}.post_attention_layernorm.weight"], c["rms_norm_eps"]), w, f"{p}.block_sparse_moe", c, trace
        )
        trace["hidden"].append(x)
    x = rms_norm(x, w["model.norm.weight"], c["rms_norm_eps"])
    return F.linear(x, w["lm_head.weight"]), trace


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    # Larger than the 0.02 init so that routing and attention are far from uniform: a wrong convention
    # (rotary halves, head grouping, renormalisation) then changes the logits visibly.
    weights = {
        name: (torch.ones(shape) + 0.1 * torch.randn(shape)) if name.endswith("norm.weight") else 0.3 * torch.randn(shape)
        for name, shape in tensor_specs(CONFIG)
    }
    with torch.no_grad():
        logits, trace = forward(torch.tensor(IDS), weights, CONFIG)
    (out / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    write_safetensors(out / "model.safetensors", weights)
    rounded = lambda t: [[[round(v, 6) for v in row] for row in seq] for seq in t.tolist()]  # noqa: E731
    expected = {
        "torch": torch.__version__,
        "ids": IDS,
        "logits": rounded(logits),
        # Per layer, [batch][seq][hidden_size] and [batch][seq][num_local_experts].
        "hidden": [rounded(h) for h in trace["hidden"]],
        "routerLogits": [rounded(r) for r in trace["router_logits"]],
    }
    (out / "expected.json").write_text(json.dumps(expected) + "\n")
    print(f"wrote {out}: logits {list(logits.shape)}, |logits| max {logits.abs().max():.3f}")


if __name__ == "__main__":
    main()
