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
#      tests (internal/e2e: stub podman), cached at
#      ${XDG_CACHE_HOME:-~/.cache}/lychd/e2e-rootfs.
#   4. A Debian trixie root file system with systemd and rootless Podman 5.4
#      (crun, conmon, catatonit, netavark, aardvark-dns, passt, uidmap) and
#      a static busybox for the real-container test bed
#      (internal/e2e/realpodman), cached at
#      ${XDG_CACHE_HOME:-~/.cache}/lychd/e2e-podman-rootfs (about 450 MB,
#      2 to 5 minutes to build). Only the root file system comes from
#      trixie; nothing is installed from trixie on the host.
#
# Each root file system is built in a temporary directory beside it and
# renamed into place, and a stamp file records its recipe, so an interrupted
# build is never used and a changed recipe rebuilds it.
#
# Prints what it does on stderr; prints nothing on stdout.
set -euo pipefail

log() { echo "ensure-deps: $*" >&2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The recipes: "VERSION SUITE VARIANT PACKAGES". Bump VERSION when the build
# below changes in a way the rest does not show.
readonly rootfs_recipe="1 bookworm minbase systemd,systemd-sysv,dbus,libpam-systemd,procps"
# debootstrap skips Recommends: uidmap, passt, catatonit and dbus-user-session
# must be named, or rootless Podman cannot map users, reach the network, run
# a pod's infra container or find the user's D-Bus.
readonly podman_rootfs_recipe="1 trixie minbase systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,procps,podman,crun,conmon,catatonit,netavark,aardvark-dns,uidmap,passt,busybox-static,iproute2,curl,ca-certificates"

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

# ensure_rootfs NAME RECIPE SIZE: make ${cache}/NAME a complete root file
# system built by debootstrap from RECIPE, unless its stamp already records
# RECIPE.
ensure_rootfs() {
	local name=$1 recipe=$2 size=$3
	local rootfs="${cache}/${name}"
	local stamp="${rootfs}/.lychd-e2e-rootfs-recipe"
	if [[ -f "${stamp}" && "$(cat "${stamp}")" == "${recipe}" ]]; then
		log "${name}: ${rootfs}"
		return 0
	fi
	local version suite variant packages
	read -r version suite variant packages <<<"${recipe}"
	: "${version}"

	local tmp
	tmp=$(mktemp -d "${cache}/${name}.tmp.XXXXXX")
	# Remove leftovers of earlier interrupted builds.
	find "${cache}" -maxdepth 1 -name "${name}.tmp.*" ! -path "${tmp}" -exec rm -rf --one-file-system {} +
	log "building ${name} (${suite}) with debootstrap (${size})"
	if ! debootstrap --variant="${variant}" --include="${packages}" \
		"${suite}" "${tmp}/rootfs" http://deb.debian.org/debian >"${tmp}/debootstrap.log" 2>&1; then
		tail -n 20 "${tmp}/debootstrap.log" >&2
		log "debootstrap of ${name} failed (the log above is the end of ${tmp}/debootstrap.log)"
		rm -rf --one-file-system "${tmp}"
		exit 1
	fi
	# Downloaded packages are not needed once installed.
	rm -f "${tmp}/rootfs/var/cache/apt/archives/"*.deb
	# The machine needs an identity and must not wait for a console login.
	: >"${tmp}/rootfs/etc/machine-id"
	echo "lychd-e2e" >"${tmp}/rootfs/etc/hostname"
	echo "${recipe}" >"${tmp}/rootfs/.lychd-e2e-rootfs-recipe"

	if [[ -e "${rootfs}" ]]; then
		mv "${rootfs}" "${tmp}/old"
	fi
	mv "${tmp}/rootfs" "${rootfs}"
	rm -rf --one-file-system "${tmp}"
	log "${name}: ${rootfs}"
}

# 3. The booted-systemd e2e root file system (stub podman).
ensure_rootfs e2e-rootfs "${rootfs_recipe}" "about 30 s, 250 MB"

# 4. The real-container root file system.
ensure_rootfs e2e-podman-rootfs "${podman_rootfs_recipe}" "2 to 5 minutes, 450 MB"
