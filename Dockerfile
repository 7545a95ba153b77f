# Causa's API and worker, on an external PostgreSQL and S3-compatible storage
# (compose.yaml runs both beside those services). The packages are exactly
# requirements/server.lock's, checked by hash; Causa runs from its source in /app.
FROM python:3.11-slim AS packages
RUN python -m venv /opt/venv
COPY requirements/server.lock /tmp/server.lock
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes -r /tmp/server.lock

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/causa --create-home causa
COPY --from=packages /opt/venv /opt/venv
WORKDIR /app
COPY *.py pyproject.toml ./
COPY auth auth
COPY court court
COPY db db
COPY demo demo
COPY domain domain
COPY endpoints endpoints
COPY jobs jobs
COPY mail mail
COPY postgres postgres
COPY resolvers resolvers
COPY schema schema
COPY static static
COPY storage storage
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CAUSA_LOG_FORMAT=json \
    CAUSA_DATA_DIR=/var/lib/causa
USER causa
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
  CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/readyz')"]
# The same image runs the worker: `python -m cli worker`; and `python -m cli migrate`.
ENTRYPOINT ["python", "-m", "cli"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
