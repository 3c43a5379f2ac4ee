package host

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/host/lockfile"
)

var fixedNow = func() time.Time { return time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC) }

func TestInstallWritesBinaryAndLock(t *testing.T) {
	t.Parallel()
	tmp := tempDir(t)
	dir := filepath.Join(tmp, "ext")
	src := extBin(t, "actor")
	res, err := Install(context.Background(), InstallOptions{Dir: dir, Source: src, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	sum := fileSum(t, src)
	st, err := os.Stat(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	if res.Path != filepath.Join(dir, "actor", "lychd-ext-actor") || st.Mode().Perm() != 0o755 || res.Previous != nil {
		t.Errorf("installed %s mode %v previous %v", res.Path, st.Mode(), res.Previous)
	}
	data, err := os.ReadFile(filepath.Join(dir, "extensions.lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "format": 1,
  "extensions": {
    "actor": {
      "version": "1.0.0",
      "protocol": 2,
      "sha256": "` + sum + `",
      "size": ` + jsonInt(st.Size()) + `,
      "installed": "2026-11-25T18:00:00Z",
      "source": "` + src + `",
      "description": "test extension actor",
      "identity": ` + identityJSON(t, res.Path) + `
    }
  }
}
`
	if string(data) != want {
		t.Errorf("lock file:\n%s\nwant:\n%s", data, want)
	}
	// Nothing but the lock, its flock file and the extension is left.
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{".extensions.lock.flock", "actor", "extensions.lock.json"}; !reflect.DeepEqual(names, want) {
		t.Errorf("extensions dir holds %q, want %q", names, want)
	}

	// Installing again is an upgrade (here: the same binary).
	res2, err := Install(context.Background(), InstallOptions{Dir: dir, Source: src, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Previous == nil || res2.Previous.SHA256 != sum {
		t.Errorf("reinstall: previous = %+v", res2.Previous)
	}
	noLeftovers(t, "", tmp)
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestInstallRefusals(t *testing.T) {
	t.Parallel()
	tmp := tempDir(t)
	writable := filepath.Join(tmp, "writable")
	copyFile(t, extBin(t, "actor"), writable, 0o777)
	os.Chmod(writable, 0o777) // umask-proof
	noisyCopy := filepath.Join(tmp, "noisy")
	copyFile(t, extBin(t, "noisy"), noisyCopy, 0o755)
	notPlugin := filepath.Join(tmp, "true")
	copyFile(t, "/bin/true", notPlugin, 0o755)
	notBinary := filepath.Join(tmp, "script.txt")
	os.WriteFile(notBinary, []byte("hello\n"), 0o644)
	script := filepath.Join(tmp, "organ.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nexec /opt/organ/real-binary \"$@\"\n"), 0o755)
	foreign := filepath.Join(tmp, "arm-organ")
	os.WriteFile(foreign, elfHeader(t, foreignMachine()), 0o755)
	cases := []struct{ src, want string }{
		{writable, "refusing to install $TMP/writable: it is group- or world-writable (mode 0777), so another user could have replaced it; if it is yours, run: chmod go-w $TMP/writable"},
		{extBin(t, "badname"), "refusing to install $EXT/badname: the extension calls itself \"../../evil\", which is not a valid extension name: name \"../../evil\" does not start with a lower-case letter; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single \"-\" (e.g. \"vision-analyzer\"); ask its author to rename it"},
		{noisyCopy, "cannot install $TMP/noisy: the binary wrote \"hello from noisy, version 1.0.0\" to stdout instead of the plugin handshake; an extension must not print to stdout (log with the SDK logger or to stderr)"},
		{extBin(t, "protocol3"), "cannot install $EXT/protocol3: the binary speaks lychd extension protocol 3 but this lychd speaks protocol 1, 2; upgrade lychd, or install a build of the extension made for an older lychd"},
		{notPlugin, "cannot install $TMP/true: the binary exited before completing the plugin handshake (exit status 0); is it a lychd extension built with the lychd SDK (sdk.Serve)?"},
		{notBinary, "refusing to install $TMP/script.txt: it is not a program (it starts with neither an ELF header nor \"#!\"); give the path of the extension's binary, built with go build"},
		{script, "refusing to install $TMP/organ.sh: it is a script (#!/bin/sh), and lychd runs only compiled extensions: it checks the sha256 of the very file it executes, which for a script would leave out its interpreter and every program the script runs; build the extension as a Go program that calls sdk.Serve (see docs/extensions.md) and install the binary"},
		{foreign, "refusing to install $TMP/arm-organ: it is a program for " + foreignName() + ", but this machine is " + runtime.GOARCH + "; build it for this machine (GOARCH=" + runtime.GOARCH + " go build) and install that binary"},
		{filepath.Join(tmp, "missing"), "cannot install $TMP/missing: no such file or directory"},
		{tmp, "cannot install $TMP: it is not a regular file (a directory); give the path of the extension's binary"},
	}
	dir := filepath.Join(tmp, "ext")
	for _, tc := range cases {
		_, err := Install(context.Background(), InstallOptions{Dir: dir, Source: tc.src, StartTimeout: 5 * time.Second})
		if err == nil {
			t.Errorf("install %s succeeded", tc.src)
			continue
		}
		got := norm(t, err.Error(), tmp, "$TMP")
		got = fdPattern.ReplaceAllString(got, "/proc/self/fd/N")
		if got != tc.want {
			t.Errorf("install %s:\n%s\nwant:\n%s", tc.src, got, tc.want)
		}
	}
	inv, err := Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Extensions) != 0 || len(inv.Ignored) != 0 {
		t.Errorf("after refused installs: %+v", inv)
	}
	noLeftovers(t, "", tmp)
}

func TestRemove(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "ext")
	plant(t, dir, "actor", "actor")
	plant(t, dir, "twin", "twin")
	e, err := Remove(RemoveOptions{Dir: dir, Name: "actor"})
	if err != nil || e.Version != "1.0.0" {
		t.Fatalf("Remove = %+v, %v", e, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "actor")); !os.IsNotExist(err) {
		t.Errorf("actor's directory: %v, want it gone", err)
	}
	l, err := lockfile.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.Extensions["twin"]; !ok || len(l.Extensions) != 1 {
		t.Errorf("lock after remove: %+v", l.Extensions)
	}
	for _, name := range []string{"actor", "../twin"} {
		_, err = Remove(RemoveOptions{Dir: dir, Name: name})
		want := "extension " + quoteName(name) + " is not installed; see the installed ones with: lychd extension list"
		if err == nil || err.Error() != want {
			t.Errorf("Remove(%q) = %v, want %s", name, err, want)
		}
	}
}

func TestDiscoverIgnoresWhatIsNotAnExtension(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "ext")
	bin := plant(t, dir, "actor", "actor")
	plant(t, dir, "twin", "twin")
	os.Remove(filepath.Join(dir, "twin", "lychd-ext-twin"))
	mk := func(rel string, mode os.FileMode) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x"), mode); err != nil {
			t.Fatal(err)
		}
	}
	mk("actor/lychd-ext-actor.sha256", 0o644)
	mk("actor/lychd-ext-actor~", 0o755)
	mk("SHA256SUMS", 0o644)
	mk("stray/lychd-ext-stray", 0o755)
	mk(".install-123.tmp-bin", 0o755)
	os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
	inv, err := Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range inv.Extensions {
		got = append(got, in.Name+": "+norm(t, in.Problem, dir, "$DIR"))
	}
	want := []string{"actor: ", "twin: its binary $DIR/twin/lychd-ext-twin is missing; reinstall it with: lychd extension install $EXT/twin"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("extensions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = nil
	for _, ig := range inv.Ignored {
		got = append(got, norm(t, ig.Path+": "+ig.Reason, dir, "$DIR"))
	}
	want = []string{
		"$DIR/.install-123.tmp-bin: leftover of an interrupted install or lock update; safe to delete",
		"$DIR/SHA256SUMS: not an extension directory",
		"$DIR/actor/lychd-ext-actor.sha256: not the extension's binary (lychd-ext-actor)",
		"$DIR/actor/lychd-ext-actor~: not the extension's binary (lychd-ext-actor)",
		"$DIR/empty: not in extensions.lock.json; install the extension with: lychd extension install PATH",
		"$DIR/stray: not in extensions.lock.json; install the extension with: lychd extension install PATH",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ignored:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A binary made non-executable or group-writable is a problem.
	os.Chmod(bin, 0o644)
	inv, _ = Discover(dir)
	if p := norm(t, inv.Extensions[0].Problem, dir, "$DIR"); p != "its binary $DIR/actor/lychd-ext-actor is not executable; reinstall it with: lychd extension install $EXT/actor" {
		t.Errorf("non-executable: %s", p)
	}
	os.Chmod(bin, 0o775)
	inv, _ = Discover(dir)
	if p := norm(t, inv.Extensions[0].Problem, dir, "$DIR"); p != "its binary $DIR/actor/lychd-ext-actor is group- or world-writable (mode 0775); run: chmod go-w $DIR/actor/lychd-ext-actor" {
		t.Errorf("group-writable: %s", p)
	}
}

// identityJSON renders the identity of the installed file as the lock file
// records it (indented as inside an entry).
func identityJSON(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	id := lockfile.IdentityOf(fi)
	return fmt.Sprintf("{\n        \"dev\": %d,\n        \"ino\": %d,\n        \"size\": %d,\n        \"mtime_ns\": %d,\n        \"ctime_ns\": %d\n      }", id.Dev, id.Ino, id.Size, id.MtimeNs, id.CtimeNs)
}

// elfHeader is the start of a 64-bit little-endian ELF executable for
// machine, enough for debug/elf to read its header.
func elfHeader(t *testing.T, machine elf.Machine) []byte {
	t.Helper()
	h := elf.Header64{Type: uint16(elf.ET_EXEC), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT), Ehsize: 64}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	h.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	h.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	var b bytes.Buffer
	if err := binary.Write(&b, binary.LittleEndian, h); err != nil {
		t.Fatal(err)
	}
	return append(b.Bytes(), make([]byte, 64)...)
}

// foreignMachine is a machine this one is not: aarch64 here, x86-64 on
// an arm64 host.
func foreignMachine() elf.Machine {
	if runtime.GOARCH == "arm64" {
		return elf.EM_X86_64
	}
	return elf.EM_AARCH64
}

func foreignName() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}
