// Package preset holds the inference-engine presets' data type and rules:
// tested defaults that turn a four-line soulstone (a name, an engine, a
// model, its covens) into a complete container definition.
//
// A preset is data, not code. lychd's built-in presets, a [presets.NAME]
// table of lychd.toml and a preset an extension registers
// (sdk.Assimilation.AddPreset) are all a Preset and pass the same
// Validate, here, so that an extension's tests (package plugintest) and
// lychd apply one set of rules.
//
// A preset fills, for one engine: the image, the argument vector
// (entrypoint arguments that place the model and bind the Sepulcher
// standard port 8081 on 0.0.0.0), the devices, volumes and environment the
// engine needs, the shared memory size, a start timeout that allows for
// the model download, a health check run inside the container, and where
// its Prometheus metrics are.
//
// Arguments use a small placeholder syntax, expanded by Expand and never by
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
package preset
