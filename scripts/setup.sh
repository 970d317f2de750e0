#!/usr/bin/env bash
# Installs everything wheelwright, its tests, demo and lab need on Debian, then builds.
# Safe to run again: skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(openssh-server openssh-client iproute2 sudo git python3 python3-venv python3-dev python3-pip
      gcc dpkg-dev sshpass python3-pip-whl python3-setuptools-whl python3-wheel-whl nginx-light ansible-core ansible
      apt-utils ca-certificates chromium tmux time python3-netaddr
      python3-jmespath   # the json_query oracle (community.general's filter needs it)
      systemd dbus    # systemd + dbus: the lab's optional systemd host (labsd) boots the controller's systemd
      python3-debian)   # the deb822_repository oracle (ansible-core 2.16 from source): its module needs python3-debian
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install Debian packages: ${missing[*]}" >&2
    exit 5
  fi
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# crontab(1) for the cron module's tests (lab hosts see the controller's /usr): Debian ships it in
# `cron`, whose install starts the cron daemon. A policy-rc.d that refuses every start keeps the
# daemon from running on this machine; it is removed again unless one was there before.
if ! command -v crontab >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install Debian package: cron" >&2
    exit 5
  fi
  echo "setup: installing Debian package cron (daemon not started)" >&2
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# wheelwright setup: no daemon starts while cron is installed\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends cron >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends cron >/dev/null; }
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing Node.js from Debian" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup: wheelwright needs Node.js 20 or newer (found $(node --version))" >&2
  exit 5
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
