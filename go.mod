module github.com/lychd/lychd

go 1.26.0

replace github.com/lychd/lychd/sdk => ./sdk

require github.com/spf13/cobra v1.10.2

require github.com/pmezard/go-difflib v1.0.0

require gopkg.in/yaml.v3 v3.0.1

require (
	github.com/coreos/go-systemd/v22 v22.7.0
	github.com/fatih/color v1.13.0 // indirect
	github.com/godbus/dbus/v5 v5.2.4
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/hashicorp/go-hclog v1.6.3
	github.com/hashicorp/go-plugin v1.8.0
	github.com/hashicorp/yamux v0.1.2 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/lychd/lychd/sdk v0.0.0-00010101000000-000000000000
	github.com/mattn/go-colorable v0.1.12 // indirect
	github.com/mattn/go-isatty v0.0.17 // indirect
	github.com/oklog/run v1.1.0 // indirect
	github.com/pelletier/go-toml/v2 v2.4.3
	github.com/spf13/pflag v1.0.9 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)
