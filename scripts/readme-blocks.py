#!/usr/bin/env python3
"""Writes README.md's shell blocks (```sh fences) as one script, in order, so that scripts/e2e runs the README as
written. Usage: readme-blocks.py README.md OUT_DIR. Each block's output goes to OUT_DIR/block-N.out and its text to
OUT_DIR/block-N.sh; a command that fails is recorded in OUT_DIR/failed. The first block (scripts/run, scripts/test)
is the newcomer's setup and is not run here."""
import pathlib, re, shlex, sys

readme, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
blocks = re.findall(r"^```sh\n(.*?)^```$", readme.read_text(encoding="utf-8"), flags=re.S | re.M)[1:]
lines = ["#!/usr/bin/env bash", "set -uo pipefail", "trap 'echo \"block $BLOCK: $BASH_COMMAND\" >> failed' ERR"]
for n, text in enumerate(blocks, 1):
    (out / f"block-{n}.sh").write_text(text, encoding="utf-8")
    lines += [f"BLOCK={n}", f"exec > block-{n}.out 2>&1", text.rstrip("\n"),
              'echo "${SERVER:-}" > server.pid']
(out / "readme.sh").write_text("\n".join(lines) + "\n", encoding="utf-8")
print(len(blocks))
