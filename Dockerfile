# Builds the intercity binary and runs it with the seed files beside it.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin intercity

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app intercity
WORKDIR /app
COPY --from=build /src/target/release/intercity /usr/local/bin/intercity
COPY seeds ./seeds
USER intercity
ENV INTERCITY_BIND=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
CMD ["intercity", "serve"]
