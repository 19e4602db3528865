#!/usr/bin/env bash
# Assembles a Hugging Face Docker Space from this repository into DIR (default ./hf-space):
#   the packaged sources (npm run package), the image recipe deploy/Dockerfile as ./Dockerfile with
#   the Space's settings appended (PORT=7860, replay mode), and the Space README with its front matter.
# Then: cd DIR && git init && git remote add space https://huggingface.co/spaces/USER/crimepulse && git push.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out="${1:-hf-space}"
zip="$(npm run --silent package -- --out "$(mktemp -d)" | tail -n 1)"
rm -rf "$out" && mkdir -p "$out"
tmp="$(mktemp -d)"
unzip -q "$zip" -d "$tmp"
cp -R "$tmp"/*/. "$out"/
cp deploy/Dockerfile "$out/Dockerfile"
cat >> "$out/Dockerfile" <<'DOCKER'

# ---- Hugging Face Space settings (appended by deploy/hosting/huggingface/prepare-space.sh)
ENV PORT=7860 \
    CRIMEPULSE_MODE=replay \
    CRIMEPULSE_REPLAY_SPEED=60x
EXPOSE 7860
DOCKER
cp deploy/hosting/huggingface/README.md "$out/README.md"
echo "Space ready in $out (Dockerfile, README.md with sdk: docker and app_port: 7860)"
