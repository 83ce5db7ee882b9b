#!/usr/bin/env bash
# Puts `rtd` and `rtd-lab` on the PATH: a wrapper each in /usr/local/bin (RTD_BIN to change it) that runs this
# repository's Release build with dotnet. The build stays where it is: rtd-lab finds the hosts it starts (demo, chaos)
# and the infra scripts it runs beside it. Builds the two tools in Release when they are not built yet. Idempotent;
# infra/demo.sh runs it. Undo: rm "$RTD_BIN/rtd" "$RTD_BIN/rtd-lab".
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="${RTD_BIN:-/usr/local/bin}"
log() { printf '[install-cli] %s\n' "$*"; }

declare -A dlls=(
  [rtd]="$repo/src/RealTimeDistributor.Cli/bin/Release/net10.0/rtd.dll"
  [rtd-lab]="$repo/src/RealTimeDistributor.Lab/bin/Release/net10.0/rtd-lab.dll"
)
if [[ ! -f "${dlls[rtd]}" || ! -f "${dlls[rtd-lab]}" ]]; then
  log "building rtd and rtd-lab (Release)"
  dotnet build "$repo/RealTimeDistributor.sln" -c Release -nologo -v quiet
fi
mkdir -p "$bin"
for tool in rtd rtd-lab; do
  cat > "$bin/$tool.tmp" <<WRAPPER
#!/bin/sh
# written by $repo/infra/install-cli.sh: $tool from that repository's Release build
exec dotnet "${dlls[$tool]}" "\$@"
WRAPPER
  chmod 755 "$bin/$tool.tmp"
  mv "$bin/$tool.tmp" "$bin/$tool"
done
log "rtd and rtd-lab are in $bin ($(command -v rtd >/dev/null 2>&1 && echo "on the PATH" || echo "add $bin to PATH"))"
