package realpodman

import (
	"fmt"
	"strings"
	"testing"
)

// TestKeepIDOwnership: with the pod's default UserNS=keep-id, the user is
// the same person on both sides of a mount. A file a container writes into
// the Crypt is owned by the user on the host: the Vessel's, through the
// lab mount of its core unit, and a soulstone's, through a volume of a
// Crypt directory; and a file the user wrote is the container's user's.
func TestKeepIDOwnership(t *testing.T) {
	b := bed(t)
	var writerPort int
	ports := freeCorePorts(t, &writerPort)
	const dir = CryptDir + "/scribbles"
	b.WriteCodex(t, map[string]string{
		"lychd.toml": lychdToml(ports, ""),
		"soulstones/writer.toml": fmt.Sprintf(`[writer]
image = %q
volumes = ["%s:/data:rw"]
port = 8102
expose_port = true
host_port = %d
environment = { NAME = "writer", PORT = "8102", WRITE_FILE = "/data/by-writer" }
`, Image, dir, writerPort),
	})
	lychdInit(t, b)
	b.WriteUserFile(t, dir+"/by-user", "the user's\n")
	b.MustLychd(t, "bind")
	b.MustLychd(t, "start", "writer")
	// The test image writes its file before its server listens.
	WaitPage(t, ports.vessel, "/", "hello from vessel\n", pageWait)
	WaitPage(t, writerPort, "/", "hello from writer\n", pageWait)

	for file, writer := range map[string]string{VesselWriteFile: "vessel", dir + "/by-writer": "writer"} {
		// Ownership as the machine's root sees it, not through the user.
		owner := strings.TrimSpace(b.MustRun(t, "stat", "-c", "%u:%g", file))
		if owner != "1000:1000" {
			t.Errorf("%s (written by %s) is owned by %s on the host, want 1000:1000 (%s)", file, writer, owner, User)
		}
		want := fmt.Sprintf("written by %s uid=1000 gid=1000\n", writer)
		if got := b.MustRun(t, "cat", file); got != want {
			t.Errorf("%s says %q, want %q", file, got, want)
		}
	}
	inside := strings.TrimSpace(b.MustUser(t, "podman", "exec", "lychd-soulstone-writer", "stat", "-c", "%u:%g", "/data/by-user"))
	if inside != "1000:1000" {
		t.Errorf("the user's file is owned by %s inside the container, want 1000:1000", inside)
	}
}
