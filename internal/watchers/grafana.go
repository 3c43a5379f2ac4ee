package watchers

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"
)

// Where the Watchers' files are mounted inside their containers. The
// caller mounts PrometheusFile at HarvesterConfigFile and the "grafana"
// directory of Files at GrafanaConfigDir, both read-only.
const (
	HarvesterConfigFile = "/etc/lychd-harvester/prometheus.yml"
	GrafanaConfigDir    = "/etc/lychd-grafana"
	// GrafanaProvisioningDir is Grafana's GF_PATHS_PROVISIONING.
	GrafanaProvisioningDir = GrafanaConfigDir + "/provisioning"
	// GrafanaDashboardsDir is where the dashboard provider reads.
	GrafanaDashboardsDir = GrafanaConfigDir + "/dashboards"
)

// VesselDashboard is the key of the Vessel's dashboard in dashboards.toml.
const VesselDashboard = "vessel"

//go:embed dashboards.toml
var dashboardsTOML []byte

// DashboardSpec is one dashboard of dashboards.toml.
type DashboardSpec struct {
	Title    string      `toml:"title"`
	Liveness string      `toml:"liveness"`
	Panels   []PanelSpec `toml:"panels"`
}

// PanelSpec is one panel: either queries or text.
type PanelSpec struct {
	Title       string      `toml:"title"`
	Description string      `toml:"description"`
	Unit        string      `toml:"unit"`
	Queries     []QuerySpec `toml:"queries"`
	Text        string      `toml:"text"`
}

// QuerySpec is one PromQL query of a panel.
type QuerySpec struct {
	Expr   string `toml:"expr"`
	Legend string `toml:"legend"`
}

// DashboardSpecs returns the dashboards of dashboards.toml by key: engine
// preset names and VesselDashboard.
func DashboardSpecs() (map[string]DashboardSpec, error) {
	var m map[string]DashboardSpec
	if err := toml.NewDecoder(bytes.NewReader(dashboardsTOML)).DisallowUnknownFields().Decode(&m); err != nil {
		return nil, fmt.Errorf("watchers: dashboards.toml: %w", err)
	}
	var errs []error
	for _, key := range sortedKeys(m) {
		if err := m[key].check(); err != nil {
			errs = append(errs, fmt.Errorf("watchers: dashboards.toml: [%s]: %w", key, err))
		}
	}
	if _, ok := m[VesselDashboard]; !ok {
		errs = append(errs, fmt.Errorf("watchers: dashboards.toml: no [%s] dashboard", VesselDashboard))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

func (d DashboardSpec) check() error {
	if d.Title == "" {
		return errors.New("no title")
	}
	if len(d.Panels) == 0 {
		return errors.New("no panels")
	}
	for i, p := range d.Panels {
		switch {
		case p.Title == "":
			return fmt.Errorf("panel %d has no title", i)
		case (len(p.Queries) == 0) == (p.Text == ""):
			return fmt.Errorf("panel %q needs either queries or text", p.Title)
		}
		for _, q := range p.Queries {
			if q.Expr == "" {
				return fmt.Errorf("panel %q has a query without expr", p.Title)
			}
			if d.Liveness == "" && strings.Contains(q.Expr, "$soulstone") {
				return fmt.Errorf("panel %q uses $soulstone, but the dashboard has no liveness metric to list soulstones", p.Title)
			}
		}
	}
	return nil
}

// DashboardFile names the provisioned file of dashboard key.
func DashboardFile(key string) string {
	if key == VesselDashboard {
		return "lychd-vessel.json"
	}
	return "soulstone-" + key + ".json"
}

// Grafana's JSON model, as much of it as lychd writes.
type dashboardJSON struct {
	UID           string      `json:"uid"`
	Title         string      `json:"title"`
	Description   string      `json:"description"`
	Tags          []string    `json:"tags"`
	Timezone      string      `json:"timezone"`
	Editable      bool        `json:"editable"`
	GraphTooltip  int         `json:"graphTooltip"`
	Refresh       string      `json:"refresh"`
	SchemaVersion int         `json:"schemaVersion"`
	Version       int         `json:"version"`
	Time          timeRange   `json:"time"`
	Templating    templating  `json:"templating"`
	Panels        []panelJSON `json:"panels"`
}

type timeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type templating struct {
	List []variable `json:"list"`
}

type variable struct {
	Name       string        `json:"name"`
	Label      string        `json:"label"`
	Type       string        `json:"type"`
	Datasource datasourceRef `json:"datasource"`
	Definition string        `json:"definition"`
	Query      variableQuery `json:"query"`
	Refresh    int           `json:"refresh"`
	IncludeAll bool          `json:"includeAll"`
	Multi      bool          `json:"multi"`
	AllValue   string        `json:"allValue"`
	Sort       int           `json:"sort"`
}

type variableQuery struct {
	Query string `json:"query"`
	RefID string `json:"refId"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panelJSON struct {
	ID          int            `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	GridPos     gridPos        `json:"gridPos"`
	Datasource  *datasourceRef `json:"datasource,omitempty"`
	Targets     []targetJSON   `json:"targets,omitempty"`
	FieldConfig *fieldConfig   `json:"fieldConfig,omitempty"`
	Options     any            `json:"options"`
}

type gridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

type targetJSON struct {
	RefID        string        `json:"refId"`
	Datasource   datasourceRef `json:"datasource"`
	Expr         string        `json:"expr"`
	LegendFormat string        `json:"legendFormat"`
	Range        bool          `json:"range"`
}

type fieldConfig struct {
	Defaults  fieldDefaults `json:"defaults"`
	Overrides []any         `json:"overrides"`
}

type fieldDefaults struct {
	Unit string `json:"unit"`
}

type timeseriesOptions struct {
	Legend  legendOptions  `json:"legend"`
	Tooltip tooltipOptions `json:"tooltip"`
}

type legendOptions struct {
	DisplayMode string `json:"displayMode"`
	Placement   string `json:"placement"`
	ShowLegend  bool   `json:"showLegend"`
}

type tooltipOptions struct {
	Mode string `json:"mode"`
	Sort string `json:"sort"`
}

type textOptions struct {
	Mode    string `json:"mode"`
	Content string `json:"content"`
}

// The Harvester datasource every panel and variable refers to.
var harvesterDS = datasourceRef{Type: "prometheus", UID: DatasourceUID}

// dashboardSchemaVersion is the JSON model version lychd writes; Grafana
// migrates older versions when it loads a dashboard.
const dashboardSchemaVersion = 39

// renderDashboard renders the dashboard with the given key. whoAnswers is
// the "who answers" query of the Vessel's dashboard, built from the
// engines' liveness metrics; it is ignored for engine dashboards.
func renderDashboard(key string, d DashboardSpec, whoAnswers string) ([]byte, error) {
	out := dashboardJSON{
		UID:           dashboardUID(key),
		Title:         d.Title,
		Description:   "Provisioned by lychd. Edit this file to change it: lychd never writes over a dashboard you edited.",
		Tags:          []string{"lychd"},
		Timezone:      "browser",
		Editable:      true,
		GraphTooltip:  1,
		Refresh:       "30s",
		SchemaVersion: dashboardSchemaVersion,
		Version:       1,
		Time:          timeRange{From: "now-1h", To: "now"},
		Templating:    templating{List: []variable{}},
	}
	if d.Liveness != "" {
		q := fmt.Sprintf("label_values(%s, %s)", d.Liveness, LabelSoulstone)
		out.Templating.List = append(out.Templating.List, variable{
			Name: "soulstone", Label: "Soulstone", Type: "query",
			Datasource: harvesterDS, Definition: q,
			Query:   variableQuery{Query: q, RefID: "soulstones"},
			Refresh: 2, IncludeAll: true, Multi: true, AllValue: ".*", Sort: 1,
		})
	}
	panels := d.Panels
	if key == VesselDashboard && whoAnswers != "" {
		panels = append([]PanelSpec{panels[0], {
			Title:       "Soulstone holding each endpoint",
			Description: "The soulstone and engine whose metrics each endpoint returned in the last scrape.",
			Unit:        "short",
			Queries:     []QuerySpec{{Expr: whoAnswers, Legend: "{{job}}: {{lychd_soulstone}} ({{lychd_engine}})"}},
		}}, panels[1:]...)
	}
	y := 0
	for i, p := range panels {
		pj := panelJSON{ID: i + 1, Title: p.Title, Description: p.Description}
		if p.Text != "" {
			pj.Type = "text"
			pj.GridPos = gridPos{H: 6, W: 24, X: 0, Y: y}
			pj.Options = textOptions{Mode: "markdown", Content: strings.TrimSpace(p.Text) + "\n"}
			y += 6
			out.Panels = append(out.Panels, pj)
			continue
		}
		pj.Type = "timeseries"
		pj.Datasource = &harvesterDS
		pj.FieldConfig = &fieldConfig{Defaults: fieldDefaults{Unit: orDefault(p.Unit, "short")}, Overrides: []any{}}
		pj.Options = timeseriesOptions{
			Legend:  legendOptions{DisplayMode: "list", Placement: "bottom", ShowLegend: true},
			Tooltip: tooltipOptions{Mode: "multi", Sort: "desc"},
		}
		for j, q := range p.Queries {
			pj.Targets = append(pj.Targets, targetJSON{RefID: refID(j), Datasource: harvesterDS, Expr: q.Expr, LegendFormat: q.Legend, Range: true})
		}
		out.Panels = append(out.Panels, pj)
	}
	// Query panels two to a row, below the text panels.
	col := 0
	for i := range out.Panels {
		if out.Panels[i].Type == "text" {
			continue
		}
		out.Panels[i].GridPos = gridPos{H: 8, W: 12, X: col * 12, Y: y}
		if col == 1 {
			y += 8
		}
		col = 1 - col
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("watchers: dashboard %s: %w", key, err)
	}
	return append(b, '\n'), nil
}

// dashboardUID is the stable uid of a dashboard: Grafana allows letters,
// digits, "-" and "_", at most 40 characters.
func dashboardUID(key string) string {
	return "lychd-" + strings.NewReplacer(".", "-").Replace(key)
}

func refID(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return "Q" + strconv.Itoa(i)
}

// whoAnswersQuery counts, per endpoint job, the soulstone and engine whose
// liveness metric the endpoint returned.
func whoAnswersQuery(specs map[string]DashboardSpec) string {
	var parts []string
	for _, key := range sortedKeys(specs) {
		if key == VesselDashboard || specs[key].Liveness == "" {
			continue
		}
		parts = append(parts, fmt.Sprintf("count by (job, %s, %s) (%s)", LabelSoulstone, LabelEngine, specs[key].Liveness))
	}
	return strings.Join(parts, " or ")
}

// Grafana provisioning files.
type datasourcesFile struct {
	APIVersion  int               `yaml:"apiVersion"`
	Datasources []datasourceEntry `yaml:"datasources"`
}

type datasourceEntry struct {
	Name      string         `yaml:"name"`
	UID       string         `yaml:"uid"`
	Type      string         `yaml:"type"`
	Access    string         `yaml:"access"`
	URL       string         `yaml:"url"`
	IsDefault bool           `yaml:"isDefault"`
	Editable  bool           `yaml:"editable"`
	JSONData  datasourceJSON `yaml:"jsonData"`
}

type datasourceJSON struct {
	TimeInterval string `yaml:"timeInterval"`
	HTTPMethod   string `yaml:"httpMethod"`
}

type providersFile struct {
	APIVersion int        `yaml:"apiVersion"`
	Providers  []provider `yaml:"providers"`
}

type provider struct {
	Name                  string          `yaml:"name"`
	OrgID                 int             `yaml:"orgId"`
	Folder                string          `yaml:"folder"`
	FolderUID             string          `yaml:"folderUid"`
	Type                  string          `yaml:"type"`
	DisableDeletion       bool            `yaml:"disableDeletion"`
	AllowUIUpdates        bool            `yaml:"allowUiUpdates"`
	UpdateIntervalSeconds int             `yaml:"updateIntervalSeconds"`
	Options               providerOptions `yaml:"options"`
}

type providerOptions struct {
	Path                      string `yaml:"path"`
	FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
}

const yamlHeader = "# Generated by lychd bind. Do not edit: lychd writes this file again on\n# every bind.\n"

func marshalYAML(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(yamlHeader)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func grafanaDatasources(harvesterURL string, interval string) ([]byte, error) {
	return marshalYAML(datasourcesFile{APIVersion: 1, Datasources: []datasourceEntry{{
		Name: "Harvester", UID: DatasourceUID, Type: "prometheus", Access: "proxy",
		URL: harvesterURL, IsDefault: true, Editable: false,
		JSONData: datasourceJSON{TimeInterval: interval, HTTPMethod: "POST"},
	}}})
}

func grafanaProviders() ([]byte, error) {
	return marshalYAML(providersFile{APIVersion: 1, Providers: []provider{{
		Name: "lychd", OrgID: 1, Folder: "LychD", FolderUID: "lychd", Type: "file",
		DisableDeletion: true, AllowUIUpdates: false, UpdateIntervalSeconds: 30,
		Options: providerOptions{Path: GrafanaDashboardsDir},
	}}})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
