# The crisis communication service. `docker compose up` runs it against PostgreSQL.
# Debian bookworm: the runtime packages below are the ones the test suite renders PDFs with.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CRISIS_DATA_DIR=/data \
    CRISIS_HOST=0.0.0.0 \
    CRISIS_PORT=8000 \
    CRISIS_LOG_FORMAT=json

# What WeasyPrint needs to render the PDF reports (Pango, HarfBuzz, fonts).
COPY deploy/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
    && grep -v '^#' /tmp/runtime-packages.txt | xargs apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt

WORKDIR /app
# The locked dependencies first (exact versions, SHA-256 hashes: scripts/lock), then the
# service alone, built with the locked setuptools.
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY crisis ./crisis
COPY channels ./channels
COPY templates ./templates
COPY drills ./drills
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
    && useradd --system --uid 10001 --home-dir /data crisis \
    && mkdir -p /data && chown crisis /data
COPY deploy/docker-entrypoint.sh /usr/local/bin/crisis-entrypoint

# Never root: the service only writes to /data.
USER crisis
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
ENTRYPOINT ["crisis-entrypoint"]
CMD ["serve"]
