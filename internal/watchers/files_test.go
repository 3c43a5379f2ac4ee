package watchers

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestPlan(t *testing.T) {
	const (
		dash = "grafana/dashboards/soulstone-vllm.json"
		prom = "prometheus/prometheus.yml"
		gone = "grafana/dashboards/soulstone-retired.json"
	)
	newDash, oldDash, userDash := []byte(`{"v":2}`), []byte(`{"v":1}`), []byte(`{"v":"mine"}`)
	newProm, oldProm := []byte("new: 1\n"), []byte("old: 1\n")
	files := []File{{Name: dash, Data: newDash, UserEditable: true}, {Name: prom, Data: newProm}}

	type want struct {
		action Action
		reason string
	}
	for _, tc := range []struct {
		name    string
		disk    fstest.MapFS
		rec     Record
		want    map[string]want
		wantRec Record
	}{
		{
			name:    "first bind writes everything",
			disk:    fstest.MapFS{},
			rec:     Record{},
			want:    map[string]want{dash: {Write, ""}, prom: {Write, ""}},
			wantRec: Record{dash: Sum(newDash), prom: Sum(newProm)},
		},
		{
			name:    "files lychd wrote are updated",
			disk:    fstest.MapFS{dash: {Data: oldDash}, prom: {Data: oldProm}},
			rec:     Record{dash: Sum(oldDash), prom: Sum(oldProm)},
			want:    map[string]want{dash: {Write, ""}, prom: {Write, ""}},
			wantRec: Record{dash: Sum(newDash), prom: Sum(newProm)},
		},
		{
			name:    "nothing to do",
			disk:    fstest.MapFS{dash: {Data: newDash}, prom: {Data: newProm}},
			rec:     Record{dash: Sum(newDash), prom: Sum(newProm)},
			want:    map[string]want{dash: {Unchanged, ""}, prom: {Unchanged, ""}},
			wantRec: Record{dash: Sum(newDash), prom: Sum(newProm)},
		},
		{
			name: "a dashboard the user edited is kept, a lychd file is not",
			disk: fstest.MapFS{dash: {Data: userDash}, prom: {Data: []byte("edited: 1\n")}},
			rec:  Record{dash: Sum(oldDash), prom: Sum(oldProm)},
			want: map[string]want{
				dash: {Keep, "you changed it since lychd wrote it; lychd keeps your version. Delete the file and run lychd bind to get lychd's again"},
				prom: {Write, ""},
			},
			wantRec: Record{dash: Sum(oldDash), prom: Sum(newProm)},
		},
		{
			name: "a dashboard lychd never wrote is the user's",
			disk: fstest.MapFS{dash: {Data: userDash}},
			rec:  Record{},
			want: map[string]want{
				dash: {Keep, "lychd did not write it; lychd keeps your version. Delete the file and run lychd bind to get lychd's again"},
				prom: {Write, ""},
			},
			wantRec: Record{prom: Sum(newProm)},
		},
		{
			name:    "an edit that matches lychd's new version is adopted",
			disk:    fstest.MapFS{dash: {Data: newDash}, prom: {Data: newProm}},
			rec:     Record{dash: Sum(oldDash)},
			want:    map[string]want{dash: {Unchanged, ""}, prom: {Unchanged, ""}},
			wantRec: Record{dash: Sum(newDash), prom: Sum(newProm)},
		},
		{
			name: "retired files: removed when untouched, kept when edited, forgotten when gone",
			disk: fstest.MapFS{dash: {Data: newDash}, prom: {Data: newProm}, gone: {Data: oldDash}, "grafana/dashboards/edited.json": {Data: userDash}},
			rec:  Record{dash: Sum(newDash), prom: Sum(newProm), gone: Sum(oldDash), "grafana/dashboards/edited.json": Sum(oldDash), "grafana/dashboards/deleted.json": Sum(oldDash)},
			want: map[string]want{
				dash:                             {Unchanged, ""},
				prom:                             {Unchanged, ""},
				gone:                             {Remove, "lychd no longer generates it"},
				"grafana/dashboards/edited.json": {Keep, "lychd no longer generates it, but you changed it; it stays until you delete it"},
			},
			wantRec: Record{dash: Sum(newDash), prom: Sum(newProm)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			decisions, rec, err := Plan(tc.disk, files, tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]want{}
			for _, d := range decisions {
				got[d.Name] = want{d.Action, d.Reason}
				if (d.Action == Write) != (d.Data != nil) {
					t.Errorf("%s: action %s with data %q", d.Name, d.Action, d.Data)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decisions:\n got %v\nwant %v", got, tc.want)
			}
			if !reflect.DeepEqual(rec, tc.wantRec) {
				t.Errorf("record:\n got %v\nwant %v", rec, tc.wantRec)
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		files []File
		want  string
	}{
		{[]File{{Name: "../x"}}, `watchers: plan: invalid file name "../x"`},
		{[]File{{Name: RecordFile}}, `watchers: plan: invalid file name "lychd-written.json"`},
		{[]File{{Name: "a"}, {Name: "a"}}, `watchers: plan: file "a" listed twice`},
	} {
		if _, _, err := Plan(fstest.MapFS{}, tc.files, Record{}); err == nil || err.Error() != tc.want {
			t.Errorf("error = %v, want %s", err, tc.want)
		}
	}
}

func TestRecordRoundTrip(t *testing.T) {
	rec := Record{"grafana/dashboards/a.json": Sum([]byte("a")), "prometheus/prometheus.yml": Sum([]byte("p"))}
	got, err := ReadRecord(fstest.MapFS{RecordFile: {Data: rec.Marshal()}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rec) {
		t.Errorf("round trip = %v, want %v", got, rec)
	}
	if want := "{\n  \"version\": 1,\n  \"files\": {\n    \"grafana/dashboards/a.json\": \"" + Sum([]byte("a")) + "\",\n    \"prometheus/prometheus.yml\": \"" + Sum([]byte("p")) + "\"\n  }\n}\n"; string(rec.Marshal()) != want {
		t.Errorf("Marshal = %s\nwant %s", rec.Marshal(), want)
	}
	empty, err := ReadRecord(fstest.MapFS{})
	if err != nil || len(empty) != 0 {
		t.Errorf("missing record = %v, %v; want empty", empty, err)
	}
	for _, tc := range []struct{ data, want string }{
		{`{"version":2,"files":{}}`, "watchers: lychd-written.json has version 2, which this lychd does not know; upgrade lychd"},
		{`{"version":1,"extra":1}`, `watchers: lychd-written.json is not lychd's record (json: unknown field "extra"); delete it and run lychd bind again, which then keeps every existing dashboard as yours`},
	} {
		_, err := ReadRecord(fstest.MapFS{RecordFile: {Data: []byte(tc.data)}})
		if err == nil || err.Error() != tc.want {
			t.Errorf("ReadRecord(%s) error = %v\nwant %s", tc.data, err, tc.want)
		}
	}
	if s := Sum([]byte("a")); !strings.HasPrefix(s, "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb") {
		t.Errorf("Sum = %s", s)
	}
}
