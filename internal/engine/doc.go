// Package engine holds the inference-engine presets: tested defaults that
// turn a four-line soulstone (a name, an engine, a model, its covens) into a
// complete container definition.
//
// A preset is data, not code. The built-in presets live in presets.toml,
// embedded in the binary, parsed and validated when Builtin is called; a
// [presets.NAME] table in lychd.toml and a preset registered by an
// extension decode into the same Preset type and pass the same Validate
// (both in the SDK's package preset, so that extensions' tests apply the
// same rules). Adding an engine means adding an entry to presets.toml and
// a golden file.
//
// A preset fills, for one engine: the image, the argument vector
// (entrypoint arguments that place the model and bind the Sepulcher
// standard port 8081 on 0.0.0.0), the devices, volumes and environment the
// engine needs, the shared memory size, a start timeout that allows for
// the model download, a health check run inside the container, and where
// its Prometheus metrics are.
//
// Arguments use a small placeholder syntax, expanded by preset.Expand and never by
// a template engine:
//
//	{model}       the model reference the soulstone names
//	{port}        the port the engine listens on (8081 unless overridden)
//	{name}        the soulstone's name (served model name, alias)
//	{model_args}  a whole argument replaced by the preset's model arguments
//	              for the kind of model given (a Hugging Face id or a path)
//	{{ and }}     a literal "{" and "}"
//
// Any other placeholder is refused with an error naming it.
//
// Resolve combines a preset with the soulstone's own keys: every key the
// soulstone sets wins, list keys replace the preset's (devices, exec,
// capabilities), volumes merge by container path and environment variables
// by name. Resolved.Filled records where each value came from, for
// "lychd bind --dry-run".
package engine
