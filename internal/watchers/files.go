package watchers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"sort"
	"strconv"
)

// File is one generated file.
type File struct {
	// Name is slash-separated and relative to the Watchers' directory,
	// e.g. "prometheus/prometheus.yml" or "grafana/dashboards/lychd-vessel.json".
	Name string
	Data []byte
	// UserEditable marks files the user may change (dashboards); Plan
	// never writes over one the user changed. The others belong to lychd
	// and are rewritten on every bind.
	UserEditable bool
}

// Where lychd bind puts the files. PrometheusFile goes into each bound
// generation as GenerationConfigFile, so that it changes with the units
// that scrape it; the others are installed in CryptDir, a directory of
// lychd's data directory (the Crypt), where the user may edit the
// dashboards.
const (
	GenerationConfigFile = "prometheus.yml"
	CryptDir             = "watchers"
)

// The files Generate always produces.
const (
	PrometheusFile          = "prometheus/prometheus.yml"
	GrafanaDatasourcesFile  = "grafana/provisioning/datasources/lychd.yaml"
	GrafanaProvidersFile    = "grafana/provisioning/dashboards/lychd.yaml"
	grafanaDashboardsPrefix = "grafana/dashboards/"
)

// Output is everything Generate produces.
type Output struct {
	// Files are sorted by name.
	Files []File
	// Warnings are for the user: soulstones whose series cannot be told
	// apart.
	Warnings []string
}

// Generate returns the Harvester's and Grafana's files for cfg: the
// Prometheus configuration, Grafana's datasource and dashboard provider,
// and one dashboard per engine in dashboards.toml plus the Vessel's.
func Generate(cfg Config) (Output, error) {
	prom, warnings, err := Prometheus(cfg)
	if err != nil {
		return Output{}, err
	}
	specs, err := DashboardSpecs()
	if err != nil {
		return Output{}, err
	}
	interval := cfg.ScrapeInterval
	if interval == 0 {
		interval = DefaultScrapeInterval
	}
	harvester := orDefault(cfg.HarvesterAddress, net.JoinHostPort("127.0.0.1", strconv.Itoa(HarvesterPort)))
	ds, err := grafanaDatasources("http://"+harvester, promDuration(interval))
	if err != nil {
		return Output{}, fmt.Errorf("watchers: datasources: %w", err)
	}
	prov, err := grafanaProviders()
	if err != nil {
		return Output{}, fmt.Errorf("watchers: dashboard provider: %w", err)
	}
	files := []File{
		{Name: PrometheusFile, Data: prom},
		{Name: GrafanaDatasourcesFile, Data: ds},
		{Name: GrafanaProvidersFile, Data: prov},
	}
	who := whoAnswersQuery(specs)
	for _, key := range sortedKeys(specs) {
		data, err := renderDashboard(key, specs[key], who)
		if err != nil {
			return Output{}, err
		}
		files = append(files, File{Name: grafanaDashboardsPrefix + DashboardFile(key), Data: data, UserEditable: true})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return Output{Files: files, Warnings: warnings}, nil
}

// RecordFile is the name, beside the generated files, of the Record of what
// lychd last wrote.
const RecordFile = "lychd-written.json"

// Record maps each file lychd wrote to the SHA-256 of what it wrote, as
// "sha256:HEX".
type Record map[string]string

type recordJSON struct {
	Version int               `json:"version"`
	Files   map[string]string `json:"files"`
}

// ReadRecord reads RecordFile from dir; a missing file is an empty Record.
func ReadRecord(dir fs.FS) (Record, error) {
	data, err := fs.ReadFile(dir, RecordFile)
	if errors.Is(err, fs.ErrNotExist) {
		return Record{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("watchers: read %s: %w", RecordFile, err)
	}
	var r recordJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("watchers: %s is not lychd's record (%v); delete it and run lychd bind again, which then keeps every existing dashboard as yours", RecordFile, err)
	}
	if r.Version != 1 {
		return nil, fmt.Errorf("watchers: %s has version %d, which this lychd does not know; upgrade lychd", RecordFile, r.Version)
	}
	if r.Files == nil {
		r.Files = map[string]string{}
	}
	return Record(r.Files), nil
}

// Marshal renders the Record as the content of RecordFile.
func (r Record) Marshal() []byte {
	files := map[string]string(r)
	if files == nil {
		files = map[string]string{}
	}
	b, _ := json.MarshalIndent(recordJSON{Version: 1, Files: files}, "", "  ") // maps of strings always encode
	return append(b, '\n')
}

// Sum is the Record value of data.
func Sum(data []byte) string {
	h := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(h[:])
}

// Action says what to do with one file.
type Action string

// Actions of a Plan.
const (
	// Write the new content.
	Write Action = "write"
	// Unchanged: the file already holds the new content.
	Unchanged Action = "unchanged"
	// Keep the user's version; the new content is not written.
	Keep Action = "keep"
	// Remove a file lychd wrote that it no longer generates.
	Remove Action = "remove"
)

// Decision is the Plan for one file.
type Decision struct {
	Name   string
	Action Action
	// Data is the content to write, for Write.
	Data []byte
	// Reason explains Keep and Remove for the user.
	Reason string
}

// Plan decides, for each generated file, whether to write it, given the
// files now in dir (the Watchers' directory) and the Record of what lychd
// wrote last. A user-editable file that differs both from the new content
// and from what lychd last wrote (or that lychd never wrote) is the user's
// and is kept. A recorded file lychd no longer generates is removed when
// unchanged and kept otherwise. Plan returns the decisions, sorted by name,
// and the Record to store once they are carried out.
func Plan(dir fs.FS, files []File, rec Record) ([]Decision, Record, error) {
	next := Record{}
	var out []Decision
	generated := map[string]bool{}
	for _, f := range files {
		if !fs.ValidPath(f.Name) || f.Name == RecordFile {
			return nil, nil, fmt.Errorf("watchers: plan: invalid file name %q", f.Name)
		}
		if generated[f.Name] {
			return nil, nil, fmt.Errorf("watchers: plan: file %q listed twice", f.Name)
		}
		generated[f.Name] = true
		current, err := fs.ReadFile(dir, f.Name)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("watchers: plan: read %s: %w", f.Name, err)
		}
		newSum := Sum(f.Data)
		switch {
		case exists && bytes.Equal(current, f.Data):
			out = append(out, Decision{Name: f.Name, Action: Unchanged})
			next[f.Name] = newSum
		case !exists || !f.UserEditable || rec[f.Name] == Sum(current):
			out = append(out, Decision{Name: f.Name, Action: Write, Data: f.Data})
			next[f.Name] = newSum
		default:
			reason := "you changed it since lychd wrote it"
			if _, known := rec[f.Name]; !known {
				reason = "lychd did not write it"
			}
			out = append(out, Decision{Name: f.Name, Action: Keep, Reason: reason + "; lychd keeps your version. Delete the file and run lychd bind to get lychd's again"})
			if prev, known := rec[f.Name]; known {
				next[f.Name] = prev
			}
		}
	}
	for _, name := range sortedKeys(rec) {
		if generated[name] {
			continue
		}
		current, err := fs.ReadFile(dir, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Already gone; forget it.
		case err != nil:
			return nil, nil, fmt.Errorf("watchers: plan: read %s: %w", name, err)
		case Sum(current) == rec[name]:
			out = append(out, Decision{Name: name, Action: Remove, Reason: "lychd no longer generates it"})
		default:
			out = append(out, Decision{Name: name, Action: Keep, Reason: "lychd no longer generates it, but you changed it; it stays until you delete it"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, next, nil
}
