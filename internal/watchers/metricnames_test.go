package watchers

import (
	"reflect"
	"strings"
	"testing"
)

// promqlWords are PromQL keywords and aggregation operators, which stand
// where a metric name could and are not one.
var promqlWords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"bool": true, "offset": true, "and": true, "or": true, "unless": true, "atan2": true,
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true, "inf": true, "nan": true,
}

// labelListAfter are the keywords followed by a parenthesized label list.
var labelListAfter = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// metricNames returns the metric names a PromQL expression selects, in
// order: identifiers outside label matchers, strings, ranges and label
// lists that are neither keywords nor function calls. It handles the
// subset of PromQL the dashboards use and fails the test on anything it
// cannot read.
func metricNames(t *testing.T, expr string) []string {
	t.Helper()
	var names []string
	isIdentStart := func(c byte) bool { return c == '_' || c == ':' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
	isIdent := func(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }
	skipString := func(i int) int {
		q := expr[i]
		for j := i + 1; j < len(expr); j++ {
			if expr[j] == '\\' && q != '`' {
				j++
				continue
			}
			if expr[j] == q {
				return j + 1
			}
		}
		t.Fatalf("unterminated string in %q", expr)
		return len(expr)
	}
	skipTo := func(i int, closer byte) int {
		for j := i + 1; j < len(expr); j++ {
			switch expr[j] {
			case '"', '\'', '`':
				j = skipString(j) - 1
			case closer:
				return j + 1
			}
		}
		t.Fatalf("unclosed %q in %q", closer, expr)
		return len(expr)
	}
	nextNonSpace := func(i int) int {
		for i < len(expr) && expr[i] == ' ' {
			i++
		}
		return i
	}
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(i)
		case c == '{':
			i = skipTo(i, '}')
		case c == '[':
			i = skipTo(i, ']')
		case c >= '0' && c <= '9' || c == '.':
			for i < len(expr) && (isIdent(expr[i]) || expr[i] == '.') {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < len(expr) && isIdent(expr[j]) {
				j++
			}
			word := expr[i:j]
			n := nextNonSpace(j)
			switch {
			case labelListAfter[word]:
				if n >= len(expr) || expr[n] != '(' {
					t.Fatalf("%q in %q is not followed by a label list", word, expr)
				}
				j = skipTo(n, ')')
			case promqlWords[strings.ToLower(word)]:
			case n < len(expr) && expr[n] == '(':
				// A function call.
			default:
				names = append(names, word)
			}
			i = j
		default:
			i++
		}
	}
	return names
}

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`up`, []string{"up"}},
		{`up{job=~"soulstones:.*"}`, []string{"up"}},
		{`sum by (lychd_soulstone) (vllm:num_requests_running{lychd_soulstone=~"$soulstone"})`, []string{"vllm:num_requests_running"}},
		{`histogram_quantile(0.95, sum by (le, lychd_soulstone) (rate(vllm:e2e_request_latency_seconds_bucket{a="}{"}[$__rate_interval])))`, []string{"vllm:e2e_request_latency_seconds_bucket"}},
		{`sum(rate(a_total[5m])) by (x) / sum without (y) (rate(b_total[5m:1m]))`, []string{"a_total", "b_total"}},
		{`count by (job, lychd_soulstone) (a) or count by (job) (b) and on (job) group_left (x) c`, []string{"a", "b", "c"}},
		{`max(x offset 5m) > bool 1e3`, []string{"x"}},
	} {
		if got := metricNames(t, tc.expr); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("metricNames(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}
