package initcmd

// Skeleton is the lychd.toml `lychd init` writes: comments only, so that
// it binds the core's defaults until the user edits it.
const Skeleton = `# lychd.toml: the settings of your Sepulcher. Everything is optional; with
# this file as it is, lychd runs its core services with their defaults.
# The reference is docs/codex.md. After an edit, run: lychd bind
#
# Soulstones (inference containers) go in soulstones/*.toml, portals (remote
# APIs) in portals/*.toml, e.g. soulstones/chat.toml:
#
#   [chat]
#   image = "ghcr.io/ggml-org/llama.cpp:server"
#   groups = ["reasoning"]
#   port = 8081
#   volumes = ["/srv/models:/models:ro,Z"]
#   exec = ["--model", "/models/model.gguf", "--port", "8081"]
#   secrets = ["hf-token,type=env,target=HF_TOKEN"]   # podman secret create hf-token -

# Covens that may run at the same time; every other pair is exclusive.
# alliances = [["reasoning", "tts"]]

# [pod]
# userns = "keep-id"                # your UID inside the containers
# publish_address = "127.0.0.1"     # this host only
# publish = ["8443:443"]

# [core.vessel]
# image = "ghcr.io/hexanomicon/lychd:latest"
# host_port = 7134
# devices = ["nvidia.com/gpu=all"]
# library_sources = ["%h/Documents/Books"]

# [core.phylactery]
# image = "docker.io/pgvector/pgvector:pg18-trixie"

# [core.oculus]
# image = "docker.io/arizephoenix/phoenix:latest"
# host_port = 6006                  # 0 keeps the Oculus inside the pod
`
