package sdk

// Version is the version of this SDK module. The module
// github.com/lychd/lychd/sdk lives in the sdk directory of the lychd
// repository and is tagged on its own, as sdk/vX.Y.Z: X.Y.Z is Version.
// The minor version grows with every added API, the patch version with
// fixes; while X is 0, a minor version may still change the API.
//
// Version says which SDK an extension was built with; ProtocolVersion, not
// Version, decides whether lychd can run it.
const Version = "0.3.0"
