package kube

import (
	"bytes"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// Marshal serializes one object as YAML. Map keys come out sorted, so the
// same object always gives the same bytes.
func Marshal(o Object) ([]byte, error) {
	b, err := yaml.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("serialize %s: %w", describe(o), err)
	}
	return b, nil
}

// Stream serializes objects as one multi-document YAML stream, in their
// order, separated by "---" lines: what kubectl apply -f - and podman kube
// play read.
func Stream(objs []Object) ([]byte, error) {
	var buf bytes.Buffer
	for i, o := range objs {
		b, err := Marshal(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// FileName is the file an object is written to in a directory:
// KIND-NAME.yaml with the kind in lower case, e.g. "deployment-vllm.yaml".
// Names are unique per kind, so file names are unique.
func FileName(o Object) string {
	return strings.ToLower(o.GetObjectKind().GroupVersionKind().Kind) + "-" + o.GetName() + ".yaml"
}

// Files serializes each object on its own, by FileName.
func Files(objs []Object) (map[string][]byte, error) {
	files := make(map[string][]byte, len(objs))
	for _, o := range objs {
		name := FileName(o)
		if _, dup := files[name]; dup {
			return nil, fmt.Errorf("serialize: two objects would both be written to %s", name)
		}
		b, err := Marshal(o)
		if err != nil {
			return nil, err
		}
		files[name] = b
	}
	return files, nil
}

func describe(o Object) string {
	return o.GetObjectKind().GroupVersionKind().Kind + " " + o.GetName()
}
