package sdk

import "github.com/lychd/lychd/sdk/internal/shared"

// ConfigError is the error Assimilation.Config returns for a config table
// that does not fit the value it decodes into: a key the value has no
// field for (a misspelling, usually), or a value of the wrong type. Return
// it from Assimilate, wrapped or not: lychd then names the file and line
// of the key in lychd.toml, which the extension cannot know.
type ConfigError = shared.ConfigError
