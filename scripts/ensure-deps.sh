#!/usr/bin/env bash
# ensure-deps.sh: install and cache everything lychd's tests need, idempotently.
#
# Run as root on Debian bookworm (make test and CI do). When everything is
# already present it only checks and returns in well under a second:
#   1. Debian packages: debootstrap, systemd-container (systemd-nspawn) and
#      util-linux (nsenter); installed with apt-get only when dpkg -s says
#      one is missing (apt-get update only then).
#   2. The real Podman Quadlet generator, through scripts/fetch-quadlet.sh,
#      and promtool (Debian's prometheus package), through
#      scripts/ensure-promtool.sh.
#   3. A minimal bookworm root file system with systemd for the booted e2e
#      tests, cached at ${XDG_CACHE_HOME:-~/.cache}/lychd/e2e-rootfs. It is
#      built in a temporary directory beside it and renamed into place, and a
#      stamp file records the recipe version, so an interrupted build is
#      never used and a changed recipe rebuilds it.
#
# Prints what it does on stderr; prints nothing on stdout.
set -euo pipefail

log() { echo "ensure-deps: $*" >&2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Bump when the debootstrap recipe below changes.
readonly rootfs_recipe="1 bookworm minbase systemd,systemd-sysv,dbus,libpam-systemd,procps"

if [[ $(id -u) -ne 0 ]]; then
	log "must run as root (apt-get, debootstrap and systemd-nspawn need it)"
	exit 1
fi

# One run at a time: concurrent `make test`s would race on apt and on the
# root file system build (and delete each other's temporary directories).
cache="${XDG_CACHE_HOME:-${HOME}/.cache}/lychd"
mkdir -p "${cache}"
exec 9>"${cache}/.ensure-deps.lock"
if ! flock -n 9; then
	log "waiting for another ensure-deps.sh run to finish"
	flock 9
fi

# 1. Debian packages.
missing=()
for pkg in debootstrap systemd-container util-linux; do
	if ! dpkg -s "${pkg}" 2>/dev/null | grep -q '^Status: install ok installed'; then
		missing+=("${pkg}")
	fi
done
if ((${#missing[@]})); then
	log "installing ${missing[*]}"
	aptlog=$(mktemp)
	if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}"; } >"${aptlog}" 2>&1; then
		tail -n 20 "${aptlog}" >&2
		log "apt-get failed installing ${missing[*]}"
		rm -f "${aptlog}"
		exit 1
	fi
	rm -f "${aptlog}"
fi

# 2. Quadlet, and promtool for the Watchers' tests.
quadlet=$("${here}/fetch-quadlet.sh")
log "quadlet: ${quadlet}"
promtool=$("${here}/ensure-promtool.sh")
log "promtool: ${promtool}"

# 3. The e2e root file system.
rootfs="${cache}/e2e-rootfs"
stamp="${rootfs}/.lychd-e2e-rootfs-recipe"
if [[ -f "${stamp}" && "$(cat "${stamp}")" == "${rootfs_recipe}" ]]; then
	log "e2e rootfs: ${rootfs}"
	exit 0
fi

tmp=$(mktemp -d "${cache}/e2e-rootfs.tmp.XXXXXX")
cleanup() { rm -rf --one-file-system "${tmp}"; }
trap cleanup EXIT

log "building e2e rootfs with debootstrap (about 30 s, 250 MB)"
# Remove leftovers of earlier interrupted builds.
find "${cache}" -maxdepth 1 -name 'e2e-rootfs.tmp.*' ! -path "${tmp}" -exec rm -rf --one-file-system {} +
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,libpam-systemd,procps \
	bookworm "${tmp}/rootfs" http://deb.debian.org/debian >"${tmp}/debootstrap.log" 2>&1 || {
	tail -n 20 "${tmp}/debootstrap.log" >&2
	log "debootstrap failed (full log above was ${tmp}/debootstrap.log)"
	exit 1
}
# The machine needs an identity and must not wait for a console login.
: >"${tmp}/rootfs/etc/machine-id"
echo "lychd-e2e" >"${tmp}/rootfs/etc/hostname"
echo "${rootfs_recipe}" >"${tmp}/rootfs/.lychd-e2e-rootfs-recipe"

if [[ -e "${rootfs}" ]]; then
	mv "${rootfs}" "${tmp}/old"
fi
mv "${tmp}/rootfs" "${rootfs}"
log "e2e rootfs: ${rootfs}"
