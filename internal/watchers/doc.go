// Package watchers generates the configuration of the Watchers, lychd's
// optional observability pair: the Harvester (Prometheus) and Grafana, with
// one dashboard per engine and one for the Vessel. It produces files as
// data, name to bytes (Generate), decides which of them may be written over
// (Plan) and installs Grafana's in a directory (Install); lychd bind puts
// the Harvester's prometheus.yml into the bound generation, and the core
// extension (plugins/core) registers the two containers (HarvesterRune,
// GrafanaRune).
//
// # Which soulstone answered
//
// Soulstones of covens that never run together all serve on the Sepulcher
// standard port 8081, so one address, 127.0.0.1:8081, is answered by
// whichever of them holds the port. The Harvester scrapes each distinct
// endpoint (port and metrics path) once, in a job named
// "soulstones:PORT/PATH", and labels every sample with the soulstone and
// engine that produced it, lychd_soulstone and lychd_engine (prefixed so
// they never collide with an engine's own labels, such as vLLM's
// "engine"):
//
//   - An endpoint that only one soulstone uses gets both labels as target
//     labels, so even the synthetic "up" series names it.
//   - On a shared endpoint, metric relabeling names the soulstone from the
//     sample itself. The engine comes from the metric name prefix ("vllm:",
//     "llamacpp:", "sglang:"). The soulstone comes from the engine's
//     identity label when it has one: vLLM and SGLang put the served model
//     name in "model_name", and their presets set it to the soulstone's
//     name. An engine without one (llama.cpp) is attributed by prefix,
//     which is exact as long as at most one soulstone of that engine shares
//     the endpoint; otherwise the value lists the candidates ("a|b") and
//     Generate warns.
//
// One scrape job per soulstone against the same address would record every
// running engine's series under every soulstone's name, which is why the
// jobs are per endpoint.
//
// # The Vessel
//
// The upstream LychD Vessel (github.com/hexanomicon/lychd) exports no
// Prometheus metrics: its observability record says metrics have "no
// producer/registry/store/query". The Harvester therefore scrapes itself
// and Grafana, and the Vessel's dashboard shows what the Harvester sees of
// the Sepulcher: which endpoints answer, which soulstone and engine holds
// each, and the scrapes' health. Config.Vessel adds a scrape job for the
// day the Vessel serves metrics; lychd bind sets it, so the Harvester
// reports the Vessel down until then.
//
// # Files the user edits
//
// Dashboards are provisioned from files, and a user may edit them. Plan
// compares each file on disk with the SHA-256 lychd recorded when it last
// wrote it (Record, kept beside the files) and never writes over a file
// that changed since.
package watchers
