# graphrec's image: the CLI, the API (graphrec serve) and the one-shot loader/trainer.
# Built by docker-compose.yml; torch comes from PyPI as pinned in pyproject.toml.
FROM python:3.12-slim
WORKDIR /srv/graphrec
ENV PYTHONUNBUFFERED=1 GRAPHREC_DATA_DIR=/srv/graphrec/state
COPY pyproject.toml README.md ./
COPY graphrec ./graphrec
COPY training ./training
COPY cypher ./cypher
RUN pip install --no-cache-dir . && useradd --create-home graphrec && mkdir -p state \
    && chown graphrec state
USER graphrec
EXPOSE 8000
CMD ["graphrec", "serve", "--host", "0.0.0.0"]
