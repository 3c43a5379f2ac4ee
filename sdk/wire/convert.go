package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/internal/pb"
	"github.com/lychd/lychd/sdk/preset"
)

// The host side converts protocol messages into sdk types; the extension
// side (package sdk) converts the other way. Each direction exists once.

func infoFromPB(m *pb.ExtensionInfo) sdk.Info {
	return sdk.Info{Name: m.GetName(), Version: m.GetVersion(), Description: m.GetDescription()}
}

func runeFromPB(m *pb.Rune) (sdk.Rune, error) {
	if m == nil {
		return sdk.Rune{}, fmt.Errorf("AddRune carried no rune")
	}
	// Enum values are the sdk value plus one; an unknown value is passed
	// on as such and rejected by sdk.ValidateRune, as in-process.
	kind := sdk.RuneKind(m.GetKind() - 1)
	var env map[string]string
	if len(m.GetEnvironment()) > 0 {
		env = make(map[string]string, len(m.GetEnvironment()))
		for _, e := range m.GetEnvironment() {
			if _, dup := env[e.GetName()]; dup {
				return sdk.Rune{}, fmt.Errorf("rune %q: environment variable %q sent twice", m.GetName(), e.GetName())
			}
			env[e.GetName()] = e.GetValue()
		}
	}
	return sdk.Rune{
		Name:        m.GetName(),
		Kind:        kind,
		Description: m.GetDescription(),
		Image:       m.GetImage(),
		Groups:      cloneStrings(m.GetGroups()),
		After:       cloneStrings(m.GetAfter()),
		Wants:       cloneStrings(m.GetWants()),
		Requires:    cloneStrings(m.GetRequires()),
		Port:        int(m.GetPort()),
		ExposePort:  m.GetExposePort(),
		HostPort:    int(m.GetHostPort()),
		Devices:     cloneStrings(m.GetDevices()),
		Volumes:     cloneStrings(m.GetVolumes()),
		Environment: env,
		Exec:        cloneStrings(m.GetExec()),
		Secrets:     cloneStrings(m.GetSecrets()),

		StartTimeout: time.Duration(m.GetStartTimeoutNs()),
		HealthCmd:    cloneStrings(m.GetHealthCmd()),
		ShmSize:      m.GetShmSize(),
		Memory:       m.GetMemory(),
		HostUser:     m.GetHostUser(),
	}, nil
}

func animatorFromPB(m *pb.Animator) (sdk.Animator, error) {
	if m == nil {
		return sdk.Animator{}, fmt.Errorf("RegisterAnimator carried no Animator")
	}
	kind := sdk.AnimatorKind(m.GetKind() - 1)
	return sdk.Animator{
		Name:         m.GetName(),
		Kind:         kind,
		Rune:         m.GetRune(),
		URL:          m.GetUrl(),
		Capabilities: cloneStrings(m.GetCapabilities()),
		Tags:         cloneStrings(m.GetTags()),
		Secrets:      cloneStrings(m.GetSecrets()),
	}, nil
}

// presetFromJSON decodes a preset's JSON form strictly: a key this lychd
// does not know is refused, as in lychd.toml, rather than dropped.
func presetFromJSON(name string, data []byte) (preset.Preset, error) {
	if len(data) == 0 {
		return preset.Preset{}, fmt.Errorf("AddPreset carried no preset")
	}
	var p preset.Preset
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return preset.Preset{}, fmt.Errorf("preset %q: %v; upgrade lychd or rebuild the extension with this lychd's SDK", name, err)
	}
	return p, nil
}
