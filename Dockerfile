# syntax=docker/dockerfile:1

# Vigil's container image: one static binary on distroless (CA certificates and time zones
# included, no shell), run as a non-root user, its database in the /data volume.
#
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" -t vigil .
#   docker run -d --name vigil -v vigil-data:/data -p 127.0.0.1:9464:9464 vigil
#   docker run --rm -it vigil run                           # the terminal chat, to try it
#
# The binary is built by scripts/build.sh, the same command CI runs, so that a given
# VERSION gives the same binary here and there. deploy/README.md has the details.

ARG GO_VERSION=1.26

# Build on the builder's own platform and cross-compile, which pure Go makes cheap.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first: a change to the source alone does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH VERSION=$VERSION \
    bash scripts/build.sh /out/vigil
# The volume's mount point, made here because the final image has no shell. A new named
# volume starts as a copy of it, so it must already belong to the user Vigil runs as.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build --chown=65532:65532 /out/data /data
COPY --from=build /out/vigil /usr/local/bin/vigil
COPY deploy/vigil.container.yaml /etc/vigil/vigil.yaml
ENV VIGIL_CONFIG=/etc/vigil/vigil.yaml
# distroless's "nonroot" user, by number so that runAsNonRoot checks can see it.
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
EXPOSE 9464
# There is no shell or curl here: the binary checks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/vigil", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/vigil"]
CMD ["run"]
