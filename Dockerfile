# syntax=docker/dockerfile:1
# Build a static binary with the content embedded, then ship it alone in a distroless image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/returnbot ./cmd/returnbot \
 && /out/returnbot validate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/returnbot /returnbot
USER nonroot:nonroot
ENV RETURNBOT_ADDR=0.0.0.0:8080
EXPOSE 8080
# distroless has no shell or curl: orchestrators probe /healthz and /readyz over HTTP.
ENTRYPOINT ["/returnbot"]
CMD ["serve"]
