package wire

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/internal/shared"
)

// Option configures InProcess.
type Option func(*inProcess)

// WithLogger sets the logger handed to the extension as
// Assimilation.Logger (by default logs are discarded). A binary's logs reach
// the logger of its go-plugin ClientConfig instead.
func WithLogger(l hclog.Logger) Option {
	return func(p *inProcess) { p.logger = l }
}

// InProcess serves ext without a process, with the same contract as a
// binary behind Dispense: used for the core extension compiled into lychd
// and by sdk/plugintest.
func InProcess(ext sdk.Extension, opts ...Option) Client {
	p := &inProcess{ext: ext, logger: hclog.NewNullLogger()}
	for _, o := range opts {
		o(p)
	}
	return p
}

type inProcess struct {
	ext    sdk.Extension
	logger hclog.Logger
}

func (p *inProcess) Info(ctx context.Context) (sdk.Info, error) {
	var info sdk.Info
	err := shared.Guard("Info", func() error {
		info = p.ext.Info()
		return nil
	})
	if err != nil {
		return sdk.Info{}, err
	}
	return info, nil
}

func (p *inProcess) Assimilate(ctx context.Context, configJSON []byte, sink Sink) error {
	if sink == nil {
		return errNilSink
	}
	if err := checkConfigSize(configJSON); err != nil {
		return err
	}
	s := newSession(sink)
	a := &assimilation{session: s, config: append([]byte(nil), configJSON...), logger: p.logger}
	err := shared.Guard("Assimilate", func() error { return p.ext.Assimilate(ctx, a) })
	return s.finish(err)
}

// assimilation is the sdk.Assimilation of an in-process extension.
type assimilation struct {
	session *session
	config  []byte
	logger  hclog.Logger
}

func (a *assimilation) AddRune(ctx context.Context, r sdk.Rune) error {
	return a.session.AddRune(ctx, cloneRune(r))
}

func (a *assimilation) RegisterAnimator(ctx context.Context, an sdk.Animator) error {
	return a.session.RegisterAnimator(ctx, cloneAnimator(an))
}

func (a *assimilation) Config(v any) error { return shared.DecodeConfig(a.config, v) }

func (a *assimilation) Logger() hclog.Logger { return a.logger }

// cloneRune deep-copies r so that an extension mutating its slices after
// AddRune cannot change what the host received, as over gRPC.
func cloneRune(r sdk.Rune) sdk.Rune {
	r.Groups = cloneStrings(r.Groups)
	r.After = cloneStrings(r.After)
	r.Wants = cloneStrings(r.Wants)
	r.Requires = cloneStrings(r.Requires)
	r.Devices = cloneStrings(r.Devices)
	r.Volumes = cloneStrings(r.Volumes)
	r.Exec = cloneStrings(r.Exec)
	r.Secrets = cloneStrings(r.Secrets)
	if len(r.Environment) == 0 {
		r.Environment = nil
	} else {
		env := make(map[string]string, len(r.Environment))
		for k, v := range r.Environment {
			env[k] = v
		}
		r.Environment = env
	}
	return r
}

func cloneAnimator(a sdk.Animator) sdk.Animator {
	a.Capabilities = cloneStrings(a.Capabilities)
	a.Tags = cloneStrings(a.Tags)
	return a
}

// cloneStrings copies s, normalising empty to nil as protobuf does.
func cloneStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

var _ sdk.Assimilation = (*assimilation)(nil)
