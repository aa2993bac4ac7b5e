#!/usr/bin/env bash
# System packages the tests drive for real: Debian's Chromium (the report is opened in a real
# headless browser) and PostgreSQL (the team-stack tests start their own cluster).
# Idempotent: installs only what is missing; needs root (or sudo) on Debian.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-dejavu-core)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${need[*]} and no apt-get; those tests will be skipped" >&2
  exit 0
fi
SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
echo "system-deps: installing ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
