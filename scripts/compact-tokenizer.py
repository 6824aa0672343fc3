#!/usr/bin/env python3
"""Write assets/tokenizer/o200k_base.bpe.z from a `.tiktoken` file (base64 token, rank).

The `.tiktoken` text embeds every token in base64 (3.6 MB for o200k_base). klue keeps the
same vocabulary as raw bytes in rank order, each token preceded by its length (one byte),
zlib-compressed: about 1 MB. src/tokens.rs reads it; its tests check that it tokenizes
exactly as the tiktoken-rs crate's o200k_base does, token for token and rank for rank.

usage: scripts/compact-tokenizer.py PATH/o200k_base.tiktoken
(the file ships in the source of the tiktoken-rs crate, under assets/)
"""
import base64
import sys
import zlib

src = sys.argv[1]
out = "assets/tokenizer/o200k_base.bpe.z"
tokens = []
with open(src) as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        token, rank = line.split(" ")
        if int(rank) != len(tokens):
            sys.exit(f"ranks are not contiguous at {rank}")
        raw = base64.b64decode(token)
        if not 0 < len(raw) < 256:
            sys.exit(f"token {rank} is {len(raw)} bytes long")
        tokens.append(raw)
data = b"".join(bytes([len(t)]) + t for t in tokens)
with open(out, "wb") as f:
    f.write(zlib.compress(data, 9))
print(f"{out}: {len(tokens)} tokens")
