# syncd in a container: a static binary on a small base, run as a user
# without privileges. docker-compose.yml builds it.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: a static binary that needs no libc in the image it runs in.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/syncd ./cmd/syncd

FROM alpine:3.21
# wget (busybox) is there for the health check of /healthz.
RUN adduser -D -H -u 10001 syncd
COPY --from=build /out/syncd /usr/local/bin/syncd
COPY configs/docker /etc/syncd
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/syncd"]
CMD ["run", "--config", "/etc/syncd/syncd.yaml"]
