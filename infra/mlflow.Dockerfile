# MLflow tracking server with the PostgreSQL driver and the S3 client (for an S3-compatible
# artifact store). Pinned to the MLflow release the project is tested with.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 MLFLOW_DISABLE_TELEMETRY=true

RUN pip install "mlflow==3.17.2" "psycopg2-binary==2.9.13" "boto3>=1.34"

RUN useradd --create-home --uid 10001 mlflow \
 && mkdir -p /mlartifacts && chown mlflow:mlflow /mlartifacts
USER mlflow
VOLUME ["/mlartifacts"]
EXPOSE 5000
CMD ["mlflow", "server", "--host", "0.0.0.0", "--port", "5000", "--workers", "2"]
