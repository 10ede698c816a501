# The image the Kubernetes examples run (fleet-scan-job.yaml and
# fleet-merge-job.yaml): slimpy, and a POSIX shell for the merge's file
# pattern, as a non-root user. From the root of a clone of slimpy:
#
#   docker build -f docs/examples/slimpy.Dockerfile -t registry.example.com/platform/slimpy:latest .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/slimpy ./cmd/slimpy

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/slimpy /usr/local/bin/slimpy
USER 65532:65532
ENV XDG_CACHE_HOME=/tmp/slimpy-cache
ENTRYPOINT ["slimpy"]
