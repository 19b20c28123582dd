# The `wavestack` binary with ffmpeg, for docker-compose.kafka.yml.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends cmake && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin wavestack

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /var/lib/wavestack wavestack \
 && mkdir -p /var/lib/wavestack && chown wavestack /var/lib/wavestack
COPY --from=build /src/target/release/wavestack /usr/local/bin/wavestack
USER wavestack
ENV WAVESTACK_DATA_DIR=/var/lib/wavestack WAVESTACK_LOG_FORMAT=json
ENTRYPOINT ["wavestack"]
CMD ["up"]
