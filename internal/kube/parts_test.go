package kube

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/lychd/lychd/internal/model"
)

// limitsOf exports one soulstone with devices and returns its limits as
// "resource=count" strings.
func limitsOf(t *testing.T, opts Options, devices ...string) []string {
	t.Helper()
	res, err := Export(manifestOf(stone("sd", "image", withDevices(devices...))), opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range res.Objects {
		if d, ok := o.(*appsv1.Deployment); ok {
			limits := d.Spec.Template.Spec.Containers[0].Resources.Limits
			for name, q := range limits {
				out = append(out, fmt.Sprintf("%s=%s", name, q.String()))
			}
			sort.Strings(out)
		}
	}
	return out
}

func TestDeviceCounts(t *testing.T) {
	cases := []struct {
		name    string
		opts    Options
		devices []string
		want    []string
	}{
		{"all is one GPU", Options{}, []string{"nvidia.com/gpu=all"}, []string{"nvidia.com/gpu=1"}},
		{"all is AllDevices", Options{AllDevices: 4}, []string{"nvidia.com/gpu=all"}, []string{"nvidia.com/gpu=4"}},
		{"one index", Options{}, []string{"nvidia.com/gpu=0"}, []string{"nvidia.com/gpu=1"}},
		{"another index is still one", Options{}, []string{"nvidia.com/gpu=1"}, []string{"nvidia.com/gpu=1"}},
		{"two indices", Options{}, []string{"nvidia.com/gpu=1", "nvidia.com/gpu=2"}, []string{"nvidia.com/gpu=2"}},
		{"a UUID", Options{}, []string{"nvidia.com/gpu=GPU-8d4c2f9e-1a2b-4c3d-9e8f-0a1b2c3d4e5f"}, []string{"nvidia.com/gpu=1"}},
		{"the same device twice", Options{}, []string{"nvidia.com/gpu=0", "nvidia.com/gpu=0"}, []string{"nvidia.com/gpu=1"}},
		{"all covers fewer named ones", Options{AllDevices: 4}, []string{"nvidia.com/gpu=all", "nvidia.com/gpu=0"}, []string{"nvidia.com/gpu=4"}},
		{"named ones beyond all", Options{}, []string{"nvidia.com/gpu=all", "nvidia.com/gpu=0", "nvidia.com/gpu=1"}, []string{"nvidia.com/gpu=2"}},
		{"three vendors", Options{}, []string{"amd.com/gpu=0", "intel.com/gpu=gpu0", "nvidia.com/gpu=all"},
			[]string{"amd.com/gpu=1", "gpu.intel.com/i915=1", "nvidia.com/gpu=1"}},
		{"kind override", Options{DeviceResources: map[string]string{"intel.com/gpu": "gpu.intel.com/xe"}}, []string{"intel.com/gpu=gpu0", "intel.com/gpu=gpu1"},
			[]string{"gpu.intel.com/xe=2"}},
		{"MIG slice by name", Options{DeviceResources: map[string]string{"nvidia.com/gpu=0:1": "nvidia.com/mig-1g.10gb"}},
			[]string{"nvidia.com/gpu=0:1", "nvidia.com/gpu=1"}, []string{"nvidia.com/gpu=1", "nvidia.com/mig-1g.10gb=1"}},
		{"unknown vendor by kind", Options{DeviceResources: map[string]string{"xilinx.com/fpga": "xilinx.com/fpga-u250"}},
			[]string{"xilinx.com/fpga=0"}, []string{"xilinx.com/fpga-u250=1"}},
		{"no devices", Options{}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := limitsOf(t, c.opts, c.devices...); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestClaimName(t *testing.T) {
	cases := map[string]string{
		"models":                        "models",
		"hf.cache":                      "hf.cache",
		"HF_Cache":                      "hf-cache-6353092a",
		"hf_cache":                      "hf-cache-d6a04351",
		"__":                            "volume-9911f4d2",
		"a" + strings.Repeat("_b", 200): "",
	}
	for in, want := range cases {
		got := claimName(in)
		if msgs := validation.IsDNS1123Subdomain(got); len(msgs) > 0 {
			t.Errorf("claimName(%q) = %q, not an object name: %v", in, got, msgs)
		}
		if want != "" && got != want {
			t.Errorf("claimName(%q) = %q, want %q", in, got, want)
		}
	}
	if claimName("HF_Cache") == claimName("hf_cache") {
		t.Error("two volume names that differ in case share a claim")
	}
}

// TestScaleAlliesLeftAlone: with alliances a+b and a+c, b and c stay
// enemies. Scaling a starts a's members only; b and c may keep running
// (no entry), d goes to 0. Starting every ally of a would start b and c
// together.
func TestScaleAlliesLeftAlone(t *testing.T) {
	m := &model.Manifest{
		Alliances: [][]string{{"a", "b"}, {"a", "c"}},
		Runes:     []model.Rune{stone("a1", "a", nil), stone("a2", "a", nil), stone("b1", "b", nil), stone("c1", "c", nil), stone("d1", "d", nil)},
	}
	res, err := Export(m, Options{Scale: "a", Namespace: "lychd"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kubectl scale deployment/d1 --replicas=0 --namespace=lychd",
		"kubectl scale deployment/a1 --replicas=1 --namespace=lychd",
		"kubectl scale deployment/a2 --replicas=1 --namespace=lychd",
	}
	if got := res.ScaleCommands(); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Written into the objects, the allies not asked for are 0 as well.
	res, err = Export(m, Options{Scale: "a", WriteReplicas: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int32{}
	for _, o := range res.Objects {
		if d, ok := o.(*appsv1.Deployment); ok {
			got[d.Name] = *d.Spec.Replicas
		}
	}
	if want := map[string]int32{"a1": 1, "a2": 1, "b1": 0, "c1": 0, "d1": 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("replicas %v, want %v", got, want)
	}
}

// TestScaleFollowsWantsOfCovenTargets: a soulstone that wants a coven
// target pulls in that coven's members.
func TestScaleFollowsWantsOfCovenTargets(t *testing.T) {
	m := &model.Manifest{
		Alliances: [][]string{{"x", "y"}},
		Runes: []model.Rune{
			stone("x1", "x", func(r *model.Rune) { r.Wants = []string{"lychd-coven-y.target", "network-online.target"} }),
			stone("y1", "y", nil), stone("y2", "y", nil), stone("z1", "z", nil),
		},
	}
	res, err := Export(m, Options{Scale: "x"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kubectl scale deployment/z1 --replicas=0",
		"kubectl scale deployment/x1 --replicas=1",
		"kubectl scale deployment/y1 --replicas=1",
		"kubectl scale deployment/y2 --replicas=1",
	}
	if got := res.ScaleCommands(); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMapSecrets(t *testing.T) {
	u, err := MapSecrets([]SecretRef{
		{Name: "hf-token", Type: SecretEnv},
		{Name: "api-key", Type: SecretEnv, Target: "OPENAI_API_KEY"},
		{Name: "tls-cert", Type: SecretMount},
		{Name: "ca", Type: SecretMount, Target: "certs/ca.pem"},
		{Name: "cfg", Type: SecretMount, Target: "/etc/app/config.toml"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range u.Env {
		got = append(got, fmt.Sprintf("env %s <- secret %s key %s", e.Name, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key))
	}
	for i, m := range u.Mounts {
		got = append(got, fmt.Sprintf("mount %s at %s sub %s ro=%v <- secret %s", m.Name, m.MountPath, m.SubPath, m.ReadOnly, u.Volumes[i].Secret.SecretName))
	}
	want := []string{
		"env hf-token <- secret hf-token key value",
		"env OPENAI_API_KEY <- secret api-key key value",
		"mount secret-2 at /run/secrets/tls-cert sub value ro=true <- secret tls-cert",
		"mount secret-3 at /run/secrets/certs/ca.pem sub value ro=true <- secret ca",
		"mount secret-4 at /etc/app/config.toml sub value ro=true <- secret cfg",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCheckRefuses shows that Check catches objects the API server would
// refuse.
func TestCheckRefuses(t *testing.T) {
	res, err := Export(manifestOf(stone("sd", "image", withVolumes("models:/models"))), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var d *appsv1.Deployment
	var svc *corev1.Service
	for _, o := range res.Objects {
		switch o := o.(type) {
		case *appsv1.Deployment:
			d = o
		case *corev1.Service:
			svc = o
		}
	}
	cases := []struct {
		name   string
		obj    Object
		change func()
		want   string
	}{
		{"selector does not match", d, func() { d.Spec.Template.Labels[LabelRune] = "other" },
			"Deployment sd is not a valid Kubernetes object: spec.template.metadata.labels: Invalid value: {\"app.kubernetes.io/managed-by\":\"lychd\",\"coven.lychd.io/image\":\"true\",\"lychd.io/kind\":\"soulstone\",\"lychd.io/rune\":\"other\"}: `selector` does not match template `labels`"},
		{"mount of no volume", d, func() { d.Spec.Template.Spec.Containers[0].VolumeMounts[0].Name = "volume-9" },
			"Deployment sd is not a valid Kubernetes object: spec.template.spec.containers[0].volumeMounts[0].name: Not found: \"volume-9\""},
		{"unset replicas", d, func() { d.Spec.Replicas = nil },
			"Deployment sd is not a valid Kubernetes object: spec.replicas: Required value: an unset count means 1 on a cluster"},
		{"long service name", svc, func() { svc.Name = strings.Repeat("s", 64) },
			"Service " + strings.Repeat("s", 64) + " is not a valid Kubernetes object: metadata.name: Invalid value: \"" + strings.Repeat("s", 64) + "\": must be no more than 63 characters"},
		{"bad label", svc, func() { svc.Labels[CovenLabel("no/slash")] = "true" },
			"Service sd is not a valid Kubernetes object: metadata.labels: Invalid value: \"coven.lychd.io/no/slash\": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := Check(c.obj); err != nil {
				t.Fatalf("the exported object fails Check before the change: %v", err)
			}
			saved := c.obj.DeepCopyObject()
			c.change()
			err := Check(c.obj)
			if err == nil || err.Error() != c.want {
				t.Errorf("got %v\nwant %s", err, c.want)
			}
			switch o := saved.(type) {
			case *appsv1.Deployment:
				*d = *o
			case *corev1.Service:
				*svc = *o
			}
		})
	}
}

// expand applies Kubernetes' variable expansion to s as the kubelet does
// for env values, command and args (and podman kube play for command and
// args): "$$" is "$", "$(NAME)" is the variable's value when defined and
// stays as written otherwise, an unterminated "$(" and any other "$" stay.
func expand(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString("$(")
				i++
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

func TestEscapeExpansion(t *testing.T) {
	vars := map[string]string{"USER": "magus", "HOME": "/home/magus", "MODEL": "qwen"}
	cases := map[string]string{
		"plain":                           "plain",
		"$HOME":                           "$HOME",
		"$(USER)":                         "$$(USER)",
		"$$":                              "$$$",
		"cost: 5$":                        "cost: 5$",
		`say "100%" of $HOME and $(USER)`: `say "100%" of $HOME and $$(USER)`,
		"$$(MODEL)":                       "$$$$(MODEL)",
		"$(":                              "$$(",
		"a$$$b":                           "a$$$$$b",
	}
	for in, want := range cases {
		got := escapeExpansion(in)
		if got != want {
			t.Errorf("escapeExpansion(%q) = %q, want %q", in, got, want)
		}
		if back := expand(got, vars); back != in {
			t.Errorf("expand(escapeExpansion(%q)) = %q", in, back)
		}
	}
}

func FuzzEscapeExpansion(f *testing.F) {
	for _, s := range []string{"$(A)", "$$", "$", "a$b$(c)$$(d)", "$($(A))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if back := expand(escapeExpansion(s), map[string]string{"A": "x", "": "y"}); back != s {
			t.Fatalf("expand(escapeExpansion(%q)) = %q", s, back)
		}
	})
}
