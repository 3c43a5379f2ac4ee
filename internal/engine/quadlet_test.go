package engine

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/testtool"
	"github.com/lychd/lychd/internal/unitfile"
	"github.com/lychd/lychd/sdk/preset"
)

func seconds(d interface{ Seconds() float64 }) string {
	return fmt.Sprintf("%.0fs", d.Seconds())
}

// TestResolvedThroughQuadlet writes every golden soulstone as a Quadlet
// container in a pod, with the keys the unit writer is to use for the
// resolved values (HealthCmd= as a JSON array, Notify=healthy, the pod's
// ShmSize=), and checks with the real Quadlet generator that podman gets
// exactly the resolved arguments.
func TestResolvedThroughQuadlet(t *testing.T) {
	reg := builtin(t)
	var shm []string
	files := map[string]string{}
	want := map[string]Resolved{}
	for _, tc := range goldenCases {
		res, err := reg.Resolve(tc.s)
		if err != nil {
			t.Fatal(err)
		}
		shm = append(shm, res.ShmSize)
		f := unitfile.New()
		f.Add("Container", "Image", unitfile.Arg(res.Image))
		f.Add("Container", "Pod", unitfile.Arg("lychd.pod"))
		for _, d := range res.Devices {
			f.Add("Container", "AddDevice", unitfile.Arg(d))
		}
		for _, v := range res.Volumes {
			f.Add("Container", "Volume", unitfile.Arg(v))
		}
		for _, e := range res.Environment {
			f.Add("Container", "Environment", unitfile.EnvAssign(e.Name, e.Value))
		}
		if h := res.Health; h != nil {
			f.Add("Container", "HealthCmd", unitfile.Arg(h.CmdJSON()))
			f.Add("Container", "HealthInterval", unitfile.Arg(seconds(h.Interval)))
			f.Add("Container", "HealthTimeout", unitfile.Arg(seconds(h.Timeout)))
			f.Add("Container", "HealthRetries", unitfile.Arg(fmt.Sprint(h.Retries)))
			f.Add("Container", "HealthStartPeriod", unitfile.Arg(seconds(h.StartPeriod)))
			f.Add("Container", "Notify", unitfile.Literal("healthy"))
		}
		f.Add("Container", "Exec", unitfile.Words(res.Exec...))
		data, err := f.Bytes()
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		name := strings.ReplaceAll(tc.file, ".", "-")
		files[name+".container"] = string(data)
		want[name] = res
	}
	largest, err := preset.LargestShmSize(shm...)
	if err != nil {
		t.Fatal(err)
	}
	if largest != "32g" {
		t.Errorf("largest shm size = %q, want 32g (sglang)", largest)
	}
	files["lychd.pod"] = "[Pod]\nPodName=lychd\nShmSize=" + largest + "\n"

	units, log, err := testtool.QuadletDryRun(t, files)
	if err != nil {
		t.Fatalf("quadlet: %v\n%s", err, log)
	}
	pod, err := unitfile.SplitWords(podCreate(t, units["lychd-pod.service"]))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(unitfile.FlagValues(pod, "--shm-size"), []string{"32g"}) {
		t.Errorf("pod create %q lacks --shm-size 32g", pod)
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		res := want[name]
		t.Run(name, func(t *testing.T) {
			unit, ok := units[name+".service"]
			if !ok {
				t.Fatalf("quadlet made no %s.service:\n%s", name, log)
			}
			argv := execStart(t, unit)
			img := -1
			for i, w := range argv {
				if w == res.Image {
					img = i
				}
			}
			if img < 0 {
				t.Fatalf("image missing from %q", argv)
			}
			if got := argv[img+1:]; !reflect.DeepEqual(got, res.Exec) {
				t.Errorf("arguments after the image:\n got %q\nwant %q", got, res.Exec)
			}
			if got := unitfile.FlagValues(argv, "--device"); !reflect.DeepEqual(got, res.Devices) && !(len(got) == 0 && len(res.Devices) == 0) {
				t.Errorf("--device = %q, want %q", got, res.Devices)
			}
			if got := unitfile.FlagValues(argv, "-v"); !reflect.DeepEqual(got, res.Volumes) {
				t.Errorf("-v = %q, want %q", got, res.Volumes)
			}
			var env []string
			for _, e := range res.Environment {
				env = append(env, e.Name+"="+e.Value)
			}
			if got := unitfile.FlagValues(argv, "--env"); !reflect.DeepEqual(got, env) && !(len(got) == 0 && len(env) == 0) {
				t.Errorf("--env = %q, want %q", got, env)
			}
			if h := res.Health; h != nil {
				for flag, v := range map[string]string{
					"--health-cmd": h.CmdJSON(), "--health-interval": seconds(h.Interval), "--health-timeout": seconds(h.Timeout),
					"--health-retries": fmt.Sprint(h.Retries), "--health-start-period": seconds(h.StartPeriod),
				} {
					if got := unitfile.FlagValues(argv, flag); !reflect.DeepEqual(got, []string{v}) {
						t.Errorf("%s = %q, want %q", flag, got, v)
					}
				}
				if !slices.Contains(argv, "--sdnotify=healthy") {
					t.Errorf("no --sdnotify=healthy in %q", argv)
				}
			} else if len(unitfile.FlagValues(argv, "--health-cmd")) != 0 {
				t.Errorf("health check without one resolved: %q", argv)
			}
		})
	}
}

// podCreate returns the "podman pod create" line of the pod's service.
func podCreate(t *testing.T, unit string) string {
	t.Helper()
	p, err := unitfile.Parse([]byte(unit))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range p.Get("Service", "ExecStartPre") {
		if strings.Contains(v, " pod create ") {
			return v
		}
	}
	t.Fatalf("no pod create in\n%s", unit)
	return ""
}

// execStart is the podman command line of a generated service.
func execStart(t *testing.T, unit string) []string {
	t.Helper()
	argv, err := unitfile.ExecStart([]byte(unit))
	if err != nil {
		t.Fatalf("%v:\n%s", err, unit)
	}
	return argv
}
