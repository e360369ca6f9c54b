#!/bin/sh
# The image's entrypoint: market data lives on the data volume, so operator edits persist and a
# re-created container keeps its prices. The first start seeds it from the image's samples.
set -eu
: "${ASSISTANT_PROMPTS_DIR:=/data/prompts}"
SEED="${COHOST_PROMPTS_SEED:-/app/prompts}"
if [ ! -d "$ASSISTANT_PROMPTS_DIR" ]; then
    mkdir -p "$(dirname "$ASSISTANT_PROMPTS_DIR")"
    cp -R "$SEED" "$ASSISTANT_PROMPTS_DIR.seeding"
    mv "$ASSISTANT_PROMPTS_DIR.seeding" "$ASSISTANT_PROMPTS_DIR"
    echo "cohost: seeded $ASSISTANT_PROMPTS_DIR with the sample markets" >&2
fi
export ASSISTANT_PROMPTS_DIR
exec "$@"
