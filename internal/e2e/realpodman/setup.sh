#!/bin/sh
# Run as root in a freshly booted machine (see Start): prepares rootless
# Podman for the user magus, with what systemd-nspawn denies worked around.
set -eu
user=magus
home=/home/$user

useradd -m -u 1000 -U -s /bin/sh "$user"
echo "$user:100000:65536" >/etc/subuid
echo "$user:100000:65536" >/etc/subgid

# nspawn copies /dev/net/tun with mode 0600: pasta would get EACCES.
chmod 0666 /dev/net/tun

# A fake GPU: rootless crun cannot mknod, it bind-mounts a CDI device node
# from the same path in the machine, so the node must exist here.
mknod -m 0666 /dev/nvidia-fake c 1 3
mkdir -p /etc/cdi
cat >/etc/cdi/fake-gpu.yaml <<'EOF'
cdiVersion: "0.6.0"
kind: nvidia.com/gpu
devices:
  - name: all
    containerEdits:
      deviceNodes:
        - path: /dev/nvidia-fake
      env:
        - FAKE_GPU=all
EOF

# Overlay storage cannot sit on the --volatile=overlay root, and
# fuse-overlayfs has no /dev/fuse: the graph root is a tmpfs.
install -d -o "$user" -g "$user" "$home/.local" "$home/.local/share" "$home/.local/share/containers" \
	"$home/.config" "$home/.config/containers"
mount -t tmpfs -o size=4g,mode=0700,uid=1000,gid=1000 tmpfs "$home/.local/share/containers"
install -o "$user" -g "$user" -m 0644 /dev/stdin "$home/.config/containers/containers.conf" <<'EOF'
[containers]
# nspawn mounts /proc/sys read-only: crun cannot set net.ipv4.ping_group_range.
default_sysctls = []
# nspawn's seccomp filter denies keyctl(): crun cannot create a keyring.
keyring = false
# The machine's cgroup v2 tree has no pids controller (the host is hybrid):
# no pids limit, and no resource limit can be enforced in this machine.
pids_limit = 0
EOF

# Else podman-user-wait-network-online.service, wanted by every Quadlet
# unit, waits 90 s.
systemctl start network-online.target
# Lingering keeps the user manager running without a session (what
# loginctl enable-linger records; loginctl itself fails under nspawn).
mkdir -p /var/lib/systemd/linger
touch "/var/lib/systemd/linger/$user"
systemctl start "user@1000.service"
