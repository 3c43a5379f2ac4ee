package host

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// failureCase is an extension misbehaving during assimilation.
type failureCase struct {
	name string
	// bin is the test extension to plant, installed under its own name.
	bin string
	// config is the extension's config table (the actor acts on it); the
	// marker is substituted for $MARKER and the temp dir for $TMP.
	config string
	// start and deadline override the default 5s/10s.
	start, deadline time.Duration
	// tamper appends a byte to the installed binary.
	tamper bool
	// want is the exact error, after norm; wantPrefix when the tail of
	// stderr is a stack that changes with the build.
	want, wantPrefix string
	// wantContains must appear in the error as well.
	wantContains string
}

func TestAssimilateFailures(t *testing.T) {
	t.Parallel()
	cases := []failureCase{
		{
			name: "exit during assimilation", bin: "actor", config: `{"Exit": 3}`,
			want: "extension \"actor\": exited while assimilating (exit status 3)\n  last lines of its stderr:\n  | giving up with exit code 3",
		},
		{
			name: "unrecoverable nil dereference", bin: "actor", config: `{"CrashGoroutine": true}`,
			wantPrefix:   "extension \"actor\": crashed with a panic while assimilating (exit status 2)\n  last lines of its stderr:\n  | ",
			wantContains: "panic: runtime error: invalid memory address or nil pointer dereference",
		},
		{
			name: "panic recovered by the SDK", bin: "actor", config: `{"Panic": true}`,
			wantPrefix:   "extension \"actor\": failed while assimilating: ",
			wantContains: "assignment to entry in nil map",
		},
		{
			name: "error returned", bin: "actor", config: `{"Fail": "model directory /srv/models does not exist"}`,
			want: "extension \"actor\": failed while assimilating: model directory /srv/models does not exist",
		},
		{
			name: "hang in Assimilate", bin: "actor", config: `{"Hang": true}`, deadline: 3 * time.Second,
			want: "extension \"actor\": did not finish assimilating within the assimilation deadline of 3s and was killed; raise deadline_seconds in the [assimilation] table of lychd.toml if it is just slow",
		},
		{
			name: "hang ignoring SIGTERM", bin: "actor", config: `{"Hang": true, "IgnoreTerm": true}`, deadline: 3 * time.Second,
			want: "extension \"actor\": did not finish assimilating within the assimilation deadline of 3s and was killed; raise deadline_seconds in the [assimilation] table of lychd.toml if it is just slow",
		},
		{
			name: "fork a child and exit", bin: "actor", config: `{"Fork": true, "Marker": "$MARKER"}`,
			want: "extension \"actor\": exited while assimilating (exit status 4)\n  last lines of its stderr:\n  | forked a child, exiting",
		},
		{
			name: "fork a child and hang", bin: "actor", config: `{"ForkStay": true, "Hang": true, "Marker": "$MARKER"}`, deadline: 3 * time.Second,
			want: "extension \"actor\": did not finish assimilating within the assimilation deadline of 3s and was killed; raise deadline_seconds in the [assimilation] table of lychd.toml if it is just slow",
		},
		{
			name: "hang before the handshake", bin: "slowstart", start: 2 * time.Second,
			want: "extension \"slowstart\": did not complete the plugin handshake within 2s and was killed; raise start_timeout_seconds in the [assimilation] table of lychd.toml if the machine is just slow\n  last lines of its stderr:\n  | loading a very large model first",
		},
		{
			name: "stdout noise before the handshake", bin: "noisy",
			want: "extension \"noisy\": wrote \"hello from noisy, version 1.0.0\" to stdout instead of the plugin handshake; an extension must not print to stdout (log with the SDK logger or to stderr)",
		},
		{
			name: "wrong protocol version", bin: "protocol3",
			want: "extension \"protocol3\": speaks lychd extension protocol 3 but this lychd speaks protocol 1, 2; upgrade lychd, or install a build of the extension made for an older lychd",
		},
		{
			name: "binary tampered after install", bin: "actor", tamper: true,
			want: "extension \"actor\": binary $DIR/actor/lychd-ext-actor changed since it was installed (sha256 $GOT, the lock file says $WANT); if you upgraded it on purpose, reinstall it with: lychd extension install $EXT/actor",
		},
		{
			name: "100k runes", bin: "actor", config: `{"Count": 100000}`,
			want: "extension \"actor\": registered more than 1000 runes; an extension may register at most 1000",
		},
		{
			name: "one 64 MiB field", bin: "actor", config: `{"BigFieldMB": 64}`,
			wantPrefix:   "extension \"actor\": failed while assimilating: calling lychd: rpc error: code = ResourceExhausted desc = ",
			wantContains: "vs. 4194304)",
		},
		{
			name: "rune name with ../", bin: "actor", config: `{"Runes": [{"Name": "../../etc", "Image": "docker.io/library/alpine:3.20"}]}`,
			want: "extension \"actor\": registered a rune with an invalid name: name \"../../etc\" does not start with a lower-case letter; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single \"-\" (e.g. \"vision-analyzer\")",
		},
		{
			name: "rune name with a slash", bin: "actor", config: `{"Runes": [{"Name": "a/b", "Image": "docker.io/library/alpine:3.20"}]}`,
			want: "extension \"actor\": registered a rune with an invalid name: name \"a/b\" contains '/'; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single \"-\" (e.g. \"vision-analyzer\")",
		},
		{
			name: "rune name with NUL", bin: "actor", config: `{"Runes": [{"Name": "a\u0000b", "Image": "docker.io/library/alpine:3.20"}]}`,
			want: "extension \"actor\": registered a rune with an invalid name: name \"a\\x00b\" contains the character U+0000; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single \"-\" (e.g. \"vision-analyzer\")",
		},
		{
			name: "unit name with a specifier", bin: "actor", config: `{"Runes": [{"Name": "a", "Image": "docker.io/library/alpine:3.20", "After": ["%h.service"]}]}`,
			want: "extension \"actor\": rune \"a\": after: unit name \"%h.service\" contains \"%\"; systemd specifiers are not allowed, write the name out in full",
		},
		{
			name: "unit name with a line break", bin: "actor", config: `{"Runes": [{"Name": "a", "Image": "docker.io/library/alpine:3.20", "Requires": ["x.service\nExecStartPre=/bin/rm -rf ~"]}]}`,
			want: "extension \"actor\": rune \"a\": requires: unit name \"x.service\\nExecStartPre=/bin/rm -rf ~\" contains \"/\"; name the unit, not its file path (e.g. \"foo.service\")",
		},
		{
			name: "soulstone Animator without its rune", bin: "actor", config: `{"Animators": [{"Name": "vision", "Capabilities": ["OpenAIChatCompletions"]}]}`,
			want: "extension \"actor\": Animator \"vision\" is served by rune \"vision\", which this extension did not register; add the rune with AddRune or make the Animator a portal",
		},
		{
			name: "invalid name in Info", bin: "badname",
			want: "extension \"badname\": calls itself \"../../evil\" but is installed as \"badname\"; reinstall it with: lychd extension install $EXT/badname",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runFailure(t, tc)
		})
	}
}

func runFailure(t *testing.T, tc failureCase) {
	tmp := tempDir(t)
	dir := filepath.Join(tmp, "ext")
	marker := fmt.Sprintf("m%d", time.Now().UnixNano())
	bin := plant(t, dir, tc.bin, tc.bin)
	var gotSum, wantSum string
	if tc.tamper {
		inv, err := Discover(dir)
		if err != nil {
			t.Fatal(err)
		}
		wantSum = inv.Extensions[0].Entry.SHA256[:16] + "…"
		f, err := os.OpenFile(bin, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte{0})
		f.Close()
		gotSum = fileSum(t, bin)[:16] + "…"
	}
	cfg := strings.NewReplacer("$MARKER", marker, "$TMP", tmp).Replace(tc.config)
	opts := Options{
		ExtensionsDir: dir,
		StartTimeout:  5 * time.Second,
		Deadline:      20 * time.Second,
		Config:        map[string]json.RawMessage{tc.bin: json.RawMessage(cfg)},
	}
	if cfg == "" {
		opts.Config = nil
	}
	if tc.start != 0 {
		opts.StartTimeout = tc.start
	}
	if tc.deadline != 0 {
		opts.Deadline = tc.deadline
	}
	res, err := Assimilate(context.Background(), opts)
	if err == nil {
		t.Fatalf("Assimilate succeeded with %d runes; want an error", len(res.Runes))
	}
	got := norm(t, err.Error(), dir, "$DIR", gotSum, "$GOT", wantSum, "$WANT")
	switch {
	case tc.want != "":
		if got != tc.want {
			t.Errorf("error:\n%s\nwant:\n%s", got, tc.want)
		}
	case !strings.HasPrefix(got, tc.wantPrefix):
		t.Errorf("error:\n%s\nwant prefix:\n%s", got, tc.wantPrefix)
	}
	if !strings.Contains(got, tc.wantContains) {
		t.Errorf("error:\n%s\nwant it to contain %q", got, tc.wantContains)
	}
	noLeftovers(t, marker, tmp)
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256Hex(data)
}
