# The crisis communication service. `docker compose up` runs it against PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CRISIS_DATA_DIR=/data \
    CRISIS_HOST=0.0.0.0 \
    CRISIS_PORT=8000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY crisis ./crisis
COPY channels ./channels
COPY templates ./templates
COPY drills ./drills
RUN pip install --no-cache-dir . && useradd --system --home-dir /data crisis \
    && mkdir -p /data && chown crisis /data

USER crisis
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["crisis", "serve"]
