# Stand-in for coturn/coturn:4: Debian's coturn 4.6, turnserver as the entrypoint.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends coturn \
    && rm -rf /var/lib/apt/lists/*
EXPOSE 3478 3478/udp
ENTRYPOINT ["turnserver"]
CMD ["-c", "/etc/coturn/turnserver.conf"]
