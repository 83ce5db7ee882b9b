#!/usr/bin/env bash
# Puts `rtd` and `rtd-lab` on the PATH: a wrapper each in /usr/local/bin (RTD_BIN to change it) that runs this
# repository's Release build with dotnet (RTD_CONFIGURATION=Debug: its Debug build). The build stays where it is:
# rtd-lab finds the hosts it starts (demo, chaos) and the infra scripts it runs beside it. Builds the solution in that
# configuration when the two tools are not built yet. Idempotent; infra/demo.sh runs it. Undo: rm "$RTD_BIN/rtd"
# "$RTD_BIN/rtd-lab". The fast test Cli/When_the_command_lines_are_installed installs the tests' build into a temporary folder.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="${RTD_BIN:-/usr/local/bin}"
configuration="${RTD_CONFIGURATION:-Release}"
log() { printf '[install-cli] %s\n' "$*"; }

declare -A dlls=(
  [rtd]="$repo/src/RealTimeDistributor.Cli/bin/$configuration/net10.0/rtd.dll"
  [rtd-lab]="$repo/src/RealTimeDistributor.Lab/bin/$configuration/net10.0/rtd-lab.dll"
)
if [[ ! -f "${dlls[rtd]}" || ! -f "${dlls[rtd-lab]}" ]]; then
  log "building rtd and rtd-lab ($configuration)"
  dotnet build "$repo/RealTimeDistributor.sln" -c "$configuration" -nologo -v quiet
fi
mkdir -p "$bin"
for tool in rtd rtd-lab; do
  cat > "$bin/$tool.tmp" <<WRAPPER
#!/bin/sh
# written by $repo/infra/install-cli.sh: $tool from that repository's $configuration build
exec dotnet "${dlls[$tool]}" "\$@"
WRAPPER
  chmod 755 "$bin/$tool.tmp"
  mv "$bin/$tool.tmp" "$bin/$tool"
done
log "rtd and rtd-lab are in $bin ($(command -v rtd >/dev/null 2>&1 && echo "on the PATH" || echo "add $bin to PATH"))"
