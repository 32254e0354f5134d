package integrations

import (
	"net"
	"testing"
)

// TestHTTPAllowlistLinkLocal checks that a wildcard entry does not open
// link-local addresses, while an entry naming the host does.
func TestHTTPAllowlistLinkLocal(t *testing.T) {
	h := newHTTPInvoker(HTTPConfig{AllowHosts: []string{"*.example.com", "169.254.169.254:80", "api.internal"}})
	for _, c := range []struct {
		host, port string
		allowed    bool
		byName     bool
	}{
		{"a.example.com", "443", true, false},
		{"example.com", "443", false, false},
		{"169.254.169.254", "80", true, true},
		{"169.254.169.254", "8080", false, false},
		{"API.internal", "9000", true, true},
		{"evil.com", "80", false, false},
	} {
		if got := h.allowed(c.host, c.port); got != c.allowed {
			t.Errorf("allowed(%s:%s) = %v", c.host, c.port, got)
		}
		if got := h.listedByName(c.host, c.port); got != c.byName {
			t.Errorf("listedByName(%s:%s) = %v", c.host, c.port, got)
		}
	}
	for ip, want := range map[string]bool{"169.254.169.254": true, "fe80::1": true, "fd00:ec2::254": true, "127.0.0.1": false, "10.0.0.1": false} {
		if got := forbiddenIP(net.ParseIP(ip)); got != want {
			t.Errorf("forbiddenIP(%s) = %v", ip, got)
		}
	}
}
