package shared

import (
	"encoding/json"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// configReason is the ErrorInfo reason of a ConfigError travelling as a
// gRPC status detail.
const configReason = "LYCHD_CONFIG"

// ConfigErrorInfo is e as a gRPC status detail, so that lychd can point at
// the key in lychd.toml; a host that does not know it ignores it.
func ConfigErrorInfo(e *ConfigError) *errdetails.ErrorInfo {
	known, _ := json.Marshal(e.Known)
	unknown := "false"
	if e.Unknown {
		unknown = "true"
	}
	return &errdetails.ErrorInfo{Reason: configReason, Domain: "lychd", Metadata: map[string]string{
		"key": e.Key, "unknown": unknown, "known": string(known), "problem": e.Problem,
	}}
}

// ConfigErrorFromStatus returns the ConfigError a status carries, if any.
func ConfigErrorFromStatus(st *status.Status) (*ConfigError, bool) {
	for _, d := range st.Details() {
		info, ok := d.(*errdetails.ErrorInfo)
		if !ok || info.GetReason() != configReason || info.GetDomain() != "lychd" {
			continue
		}
		m := info.GetMetadata()
		e := &ConfigError{Key: m["key"], Unknown: m["unknown"] == "true", Problem: m["problem"]}
		if err := json.Unmarshal([]byte(m["known"]), &e.Known); err != nil {
			e.Known = nil
		}
		return e, true
	}
	return nil, false
}

// WrappedConfigError is an extension's error, as text, that wraps the
// ConfigError it carried.
type WrappedConfigError struct {
	Msg    string
	Config *ConfigError
}

func (e *WrappedConfigError) Error() string { return e.Msg }

// Unwrap returns the ConfigError.
func (e *WrappedConfigError) Unwrap() error { return e.Config }
