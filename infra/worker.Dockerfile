# Image for Prefect workers and Dask workers: Python 3.11, CPU torch, the project installed.
# Built from the repository root:  docker build -f infra/worker.Dockerfile -t nlp-zoo/worker .
# (compose.yaml does this). GPU workers: build with TORCH_INDEX_URL pointing at a CUDA wheel
# index and run on nodes with the NVIDIA runtime.
FROM python:3.11-slim-bookworm

ARG TORCH_VERSION=2.13.0
# The CPU wheels: without this, pip resolves torch to a multi-GB CUDA build.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ZOO_HOME=/var/lib/zoo \
    ZOO_CHECKOUT=/opt/zoo \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    DO_NOT_TRACK=1 \
    MLFLOW_DISABLE_TELEMETRY=true

# git: recorded as git_sha with every run when the build context has .git (optional)
RUN apt-get update \
 && apt-get install -y --no-install-recommends git tini \
 && rm -rf /var/lib/apt/lists/*

# torch first and pinned, in its own layer: it is the big one and changes least often.
RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}"

WORKDIR /opt/zoo
# Dependencies before sources, so that editing code does not reinstall them.
COPY pyproject.toml README.md ./
COPY zoo/__init__.py zoo/__init__.py
COPY flows/__init__.py flows/__init__.py
COPY reports/__init__.py reports/__init__.py
COPY publish/__init__.py publish/__init__.py
RUN pip install -e . && pip uninstall -y nlp-model-zoo
COPY . .
RUN pip install --no-deps -e .

# An unprivileged user owns the state folder (data cache, models, reports).
RUN useradd --create-home --uid 10001 zoo \
 && mkdir -p /var/lib/zoo && chown zoo:zoo /var/lib/zoo
USER zoo
VOLUME ["/var/lib/zoo"]

ENTRYPOINT ["tini", "--"]
CMD ["prefect", "worker", "start", "--pool", "zoo", "--type", "process"]
