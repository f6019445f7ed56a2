"""Logits of a Mixtral checkpoint folder (config.json + model.safetensors, F32/F16/BF16) computed by the
independent PyTorch transcription in mixtral_reference.py, printed as one line of JSON: {"logits": [[...]]},
one row of vocab_size numbers per id, like `npm run moe -- logits`.

Reads safetensors with the standard library (no `safetensors` package), so Debian's python3-torch is all
it needs:
  /usr/bin/python3 scripts/reference/checkpoint_logits.py <dir> --ids 1,17,5
"""

import argparse
import json
import struct
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from mixtral_reference import forward  # noqa: E402

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    body = raw[8 + length :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        flat = torch.frombuffer(bytearray(body[start:end]), dtype=DTYPES[info["dtype"]])
        tensors[name] = flat.to(torch.float32).reshape(info["shape"])
    return tensors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", type=Path)
    parser.add_argument("--ids", required=True, help="comma-separated token ids")
    args = parser.parse_args()
    config = json.loads((args.dir / "config.json").read_text())
    if config.get("norm_topk_prob") is False or config.get("tie_word_embeddings"):
        sys.exit("mixtral_reference.py transcribes Mixtral as transformers runs it: renormalised top-K, untied head.")
    weights = read_safetensors(args.dir / "model.safetensors")
    ids = torch.tensor([[int(i) for i in args.ids.split(",")]])
    with torch.no_grad():
        logits, _ = forward(ids, weights, config)
    print(json.dumps({"logits": logits[0].tolist()}))


if __name__ == "__main__":
    main()
