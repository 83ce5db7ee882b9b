#!/usr/bin/env bash
# Installs what the client workstation tests drive from outside .NET, on a Debian 12 machine (idempotent):
# headless Chromium for the web wallboard test and python3-pika for the foreign (non-.NET) client test.
set -euo pipefail

log() { printf '[client-tools-up] %s\n' "$*"; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
/usr/bin/python3 -c 'import pika' >/dev/null 2>&1 || missing+=(python3-pika)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
log "chromium $(chromium --version 2>/dev/null | awk '{print $2}'), python3-pika $(/usr/bin/python3 -c 'import pika; print(pika.__version__)')"
