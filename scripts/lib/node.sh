# shellcheck shell=bash
# ensure_node: wincri needs Node.js 20 or newer. Debian 13 packages it; Debian 12's own nodejs is
# 18, so on Debian 12 install Node 20 first (the machine images here ship it).
ensure_node() {
  if ! command -v node >/dev/null 2>&1; then
    echo "node not found: installing Debian's nodejs and npm" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "wincri needs Node.js 20 or newer; this machine has $(node --version). Install Node 20 (e.g. Debian 13's nodejs) and retry." >&2
    exit 1
  fi
}
