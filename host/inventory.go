package host

import "github.com/lychd/lychd/host/inventory"

// BinaryPrefix starts the file name of every installed extension binary
// (see inventory.BinaryPrefix).
const BinaryPrefix = inventory.BinaryPrefix

// Extension is one extension listed in the lock file.
type Extension = inventory.Extension

// Ignored is something in the extensions directory that is not an
// installed extension.
type Ignored = inventory.Ignored

// Inventory is what Discover found.
type Inventory = inventory.Inventory

// BinaryPath returns where the binary of extension name is installed in
// dir (see inventory.BinaryPath).
func BinaryPath(dir, name string) (string, error) { return inventory.BinaryPath(dir, name) }

// Discover reads the lock file and the extensions directory dir (see
// inventory.Discover).
func Discover(dir string) (*Inventory, error) { return inventory.Discover(dir) }
