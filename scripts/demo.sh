#!/usr/bin/env bash
# demo.sh: bind the built-in example Codex and the example extensions in a
# throwaway HOME and show what lychd wrote. Run through `make demo`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
lychd=$PWD/bin/lychd
sandbox=$(mktemp -d /tmp/lychd-demo.XXXXXX)
# A complete sandbox: every lychd path derives from HOME and XDG.
export HOME=$sandbox
unset XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME XDG_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS
mkdir -p "$HOME/.config"
cp -r examples/codex "$HOME/.config/lychd"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "$*"; "$@"; }

echo "Sandbox HOME: $HOME"
for e in vision-organ tts-organ portal-organ; do
	run "$lychd" extension install "bin/extensions/$e"
done
run "$lychd" extension list
run "$lychd" bind --dry-run | head -n 40
run "$lychd" bind
run "$lychd" bind
step "find ~/.config/containers/systemd/lychd/ ~/.config/systemd/user/ -name 'lychd*'"
find -L "$HOME/.config/containers/systemd/lychd/" "$HOME/.config/systemd/user/" -name 'lychd*' -type f | sed "s|$HOME|~|" | sort
run cat "$HOME/.config/containers/systemd/lychd/lychd-soulstone-hermes.container"
run cat "$HOME/.config/systemd/user/lychd-coven-reasoning.target"
run "$lychd" animators
run "$lychd" animators --capability OpenAIChatCompletions --tag vision --tag ocr --pick
if quadlet=$(bash scripts/fetch-quadlet.sh 2>/dev/null); then
	step "QUADLET_UNIT_DIRS=~/.config/containers/systemd quadlet -dryrun -user | grep -c '^---'"
	QUADLET_UNIT_DIRS="$HOME/.config/containers/systemd" "$quadlet" -dryrun -user -no-kmsg-log 2>/dev/null | grep -c '^---' || true
fi
echo
echo "Done. Everything lives in $HOME; remove it with: rm -rf $HOME"
