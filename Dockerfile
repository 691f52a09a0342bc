# The gateway image. Build: docker build -t tutoring-gateway .
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml constraints.txt README.md ./
COPY gateway ./gateway
COPY schema ./schema
COPY resolvers ./resolvers
COPY models ./models
COPY scripts ./scripts
RUN pip install -c constraints.txt . \
 && useradd --system --uid 10001 gateway
USER gateway

ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=2).status == 200 else 1)"
CMD ["python", "-m", "gateway"]
