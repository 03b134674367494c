#!/usr/bin/env bash
# `make install` / `make uninstall` (docs/privileges.md). Installs the CLI under
# $PREFIX/lib/sockwatch, the sidecar as $PREFIX/libexec/sockwatch/sockwatch-sidecar,
# root:sockwatch 0750 with cap_bpf,cap_net_raw (ATTRIBUTION=1 adds what process
# attribution needs), and $PREFIX/bin/sockwatch. Only root and members of the
# sockwatch group can then capture. With DESTDIR (a staging root for a package) the
# group is not created: the package's postinst does that, and the chgrp and setcap.
set -euo pipefail
cd "$(dirname "$0")/.."

action=${1:?usage: scripts/install.sh install|uninstall}
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
SW_CONFIG=${SW_CONFIG:-/etc/sockwatch/sidecar.conf}
GROUP=sockwatch
CAPS=cap_bpf,cap_net_raw
[ "${ATTRIBUTION:-}" = 1 ] && CAPS=$CAPS,cap_net_admin,cap_perfmon

root=$DESTDIR$PREFIX
lib=$root/lib/sockwatch
libexec=$root/libexec/sockwatch
sidecar=$libexec/sockwatch-sidecar
reader=$libexec/sockwatch-read
link=$root/bin/sockwatch
conf=$DESTDIR$SW_CONFIG

say() { echo "sockwatch: $*"; }
die() { echo "sockwatch: $*" >&2; exit 1; }

# The file root writes to raise the budget; shipped commented out, so an unchanged
# copy is recognised (and removed) by uninstall.
config_text() {
  cat <<'EOF'
# sockwatch-sidecar limits for users other than root (docs/privileges.md).
# Read only while root owns this file and no one else may write it.
# memory_budget: the kernel memory one capture may pin (ring buffer plus flow
# tables, per-CPU values counted), K/M/G suffixes. Unset: 128M.
# memory_budget = 256M
EOF
}

install_all() {
  [ "$(id -u)" = 0 ] || die "installing needs root (it sets the sidecar's group and capabilities): run 'sudo make install'"
  [ -x build/sockwatch-sidecar ] && [ -x build/sockwatch-read ] && [ -f dist/.built ] || die "nothing built yet: run 'make' first"
  command -v setcap >/dev/null || die "setcap is missing: install Debian's libcap2-bin"
  if [ -z "$DESTDIR" ] && ! getent group "$GROUP" >/dev/null; then
    groupadd --system "$GROUP"
    say "created the system group '$GROUP'"
  fi

  # The CLI: its files and its production dependencies, nothing from the checkout's dev tools.
  rm -rf "$lib"
  install -d -m 0755 "$lib" "$libexec" "$root/bin"
  cp -a bin dist package.json package-lock.json oclif.manifest.json "$lib/"
  rm -f "$lib/dist/.built"
  cp -a node_modules "$lib/"
  (cd "$lib" && npm prune --omit=dev --no-audit --no-fund --silent >/dev/null)
  ln -sfn ../lib/sockwatch/bin/sockwatch "$link"

  # The sidecar: no one outside the group may even run it, then the capabilities.
  install -m 0750 -o root build/sockwatch-sidecar "$sidecar"
  if getent group "$GROUP" >/dev/null; then
    chgrp "$GROUP" "$sidecar"
  else
    say "no '$GROUP' group on this machine: $sidecar stays root:root until the package creates it"
  fi
  setcap "$CAPS+ep" "$sidecar"
  # The file reader (-r of a pcap file): anyone may run it, with no capabilities.
  install -m 0755 -o root build/sockwatch-read "$reader"

  if [ ! -e "$conf" ]; then
    install -d -m 0755 "$(dirname "$conf")"
    config_text >"$conf"
    chmod 0644 "$conf"
  fi

  say "installed $link, $sidecar ($(stat -c '%U:%G %a' "$sidecar"), $CAPS), and $reader (0755, no capabilities)"
  if [ -z "$DESTDIR" ]; then
    say "only root and members of '$GROUP' can capture; add a user with 'sudo usermod -aG $GROUP USER' (it takes effect at their next login)"
  fi
}

uninstall_all() {
  [ "$(id -u)" = 0 ] || die "uninstalling needs root: run 'sudo make uninstall'"
  rm -rf "$lib" "$libexec"
  rm -f "$link"
  rmdir "$root/libexec" "$root/lib" "$root/bin" 2>/dev/null || true
  if [ -f "$conf" ]; then
    if [ "$(config_text)" = "$(cat "$conf")" ]; then
      rm -f "$conf"
      rmdir "$(dirname "$conf")" 2>/dev/null || true
    else
      say "kept $conf: it was changed since install"
    fi
  fi
  say "removed sockwatch from $root"
  [ -z "$DESTDIR" ] || return 0
  if getent group "$GROUP" >/dev/null; then
    members=$(getent group "$GROUP" | cut -d: -f4)
    if [ -z "$members" ]; then
      groupdel "$GROUP"
      say "removed the group '$GROUP'"
    else
      say "kept the group '$GROUP': it still has members ($members); 'sudo groupdel $GROUP' removes it"
    fi
  fi
}

case $action in
  install) install_all ;;
  uninstall) uninstall_all ;;
  *) die "usage: scripts/install.sh install|uninstall" ;;
esac
