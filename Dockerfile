# syntax=docker/dockerfile:1
# The Underwriting Copilot in one image: `docker build -t uwc .` then `docker run -p 8501:8501 -e UWC_AUTH=demo ...`.
# Stage 1 installs the locked dependencies and seeds the data (SQLite database + guideline index) into /data;
# stage 2 copies only the virtualenv and the data: no compiler, no pip cache, no sources, a non-root user.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml requirements.lock README.md ./
COPY core core
COPY retrieval retrieval
COPY seed_db seed_db
COPY guidelines guidelines
COPY tools tools
COPY graph graph
COPY evals evals
COPY desk desk
COPY app app
RUN pip install -c requirements.lock . && python -m compileall -q /opt/venv/lib
# Baked data: a container starts serving at once; with UWC_DATABASE_URL the `seed` service loads PostgreSQL.
RUN UWC_DATA_DIR=/opt/uwc-data uwc seed

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin uwc
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=uwc:uwc /opt/uwc-data /data
ENV PATH=/opt/venv/bin:$PATH UWC_DATA_DIR=/data PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
USER uwc
WORKDIR /home/uwc
EXPOSE 8501
HEALTHCHECK --interval=15s --timeout=3s --start-period=90s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2).status != 200)"]
# `uwc serve` is PID 1's child-keeper: it forwards SIGTERM to Streamlit and exits with it (clean `docker stop`).
# Off loopback it refuses to start without UWC_AUTH (demo or oidc).
ENTRYPOINT ["uwc"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8501"]
