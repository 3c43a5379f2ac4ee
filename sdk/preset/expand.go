package preset

import (
	"fmt"
	"sort"
	"strings"
)

// The placeholders a preset may use.
const (
	PlaceholderModel     = "model"
	PlaceholderPort      = "port"
	PlaceholderName      = "name"
	PlaceholderModelArgs = "model_args"
)

// ModelArgsElement is the exec element that splices in the model arguments.
const ModelArgsElement = "{" + PlaceholderModelArgs + "}"

// knownPlaceholders lists every placeholder for error messages.
const knownPlaceholders = "{model}, {port}, {name} and {model_args} (write {{ and }} for literal braces)"

// PlaceholderError reports a bad placeholder in a template string.
type PlaceholderError struct {
	// Template is the string that failed to expand.
	Template string
	// Msg says what is wrong and how to fix it.
	Msg string
}

func (e *PlaceholderError) Error() string {
	return fmt.Sprintf("%q: %s", e.Template, e.Msg)
}

// Expand replaces every {NAME} in s by vars[NAME], "{{" by "{" and "}}" by
// "}". A placeholder that vars does not define, an unclosed "{" and a lone
// "}" are errors. {model_args} is refused here: it stands only as a whole
// exec argument, which Resolve splices.
func Expand(s string, vars map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte('{')
			i++
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			b.WriteByte('}')
			i++
		case c == '}':
			return "", &PlaceholderError{Template: s, Msg: "has a \"}\" without a matching \"{\"; write }} for a literal \"}\""}
		case c == '{':
			end := strings.IndexByte(s[i+1:], '}')
			if end < 0 {
				return "", &PlaceholderError{Template: s, Msg: "has a \"{\" that is never closed; write {{ for a literal \"{\""}
			}
			name := s[i+1 : i+1+end]
			v, ok := vars[name]
			switch {
			case name == PlaceholderModelArgs:
				return "", &PlaceholderError{Template: s, Msg: "uses {model_args} inside a longer argument; {model_args} must be a whole exec argument on its own"}
			case !ok && isKnownPlaceholder(name):
				return "", &PlaceholderError{Template: s, Msg: fmt.Sprintf("uses {%s}, which has no value here%s", name, unavailableHint(name))}
			case !ok:
				return "", &PlaceholderError{Template: s, Msg: fmt.Sprintf("uses the unknown placeholder {%s}; the placeholders are %s", name, knownPlaceholders)}
			}
			b.WriteString(v)
			i += end + 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func isKnownPlaceholder(name string) bool {
	switch name {
	case PlaceholderModel, PlaceholderPort, PlaceholderName, PlaceholderModelArgs:
		return true
	}
	return false
}

func unavailableHint(name string) string {
	if name == PlaceholderModel {
		return " (this preset takes no model: it has no [model] table)"
	}
	return ""
}

// Placeholders returns the placeholder names s uses, sorted, or an error
// when s does not expand. The whole-argument {model_args} is reported like
// any other name.
func Placeholders(s string) ([]string, error) {
	if s == ModelArgsElement {
		return []string{PlaceholderModelArgs}, nil
	}
	seen := map[string]bool{}
	probe := map[string]string{}
	for _, n := range []string{PlaceholderModel, PlaceholderPort, PlaceholderName} {
		probe[n] = "\x00" + n + "\x00"
	}
	out, err := Expand(s, probe)
	if err != nil {
		return nil, err
	}
	for _, n := range []string{PlaceholderModel, PlaceholderPort, PlaceholderName} {
		if strings.Contains(out, probe[n]) {
			seen[n] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}
