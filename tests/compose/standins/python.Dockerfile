# Stand-in for python:3.11-slim-bookworm: Debian's own Python 3.11 in a virtual environment
# first on PATH, so that `python` and `pip` are what the official image's are (a pip that
# installs into its own site-packages, console scripts on PATH).
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3.11 python3-venv python3-pip ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && python3.11 -m venv /usr/local/python
ENV PATH=/usr/local/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8
CMD ["python3"]
