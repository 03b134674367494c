#!/usr/bin/env bash
# Installs what sockwatch needs to build, run and test, and only what is missing:
# Debian packages with apt-get, npm packages from the lockfile with npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."

# nfdump, pmacct, prometheus, libfixbuf-tools (and curl, tshark): the real collectors and decoders the
# export tests run in their own namespaces; the services the packages enable are not used.
apt_pkgs=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config make
          jq tcpdump iproute2 iputils-ping python3 libcap2-bin libcap-dev tmux strace util-linux passwd
          libpcap-dev python3-scapy nfdump pmacct prometheus libfixbuf-tools curl tshark)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "sockwatch: missing Debian packages: ${missing[*]}; install them with 'sudo apt-get install ${missing[*]}' and run this again." >&2
    exit 1
  fi
  echo "sockwatch: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci when node_modules is absent or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
