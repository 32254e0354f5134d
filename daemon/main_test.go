package daemon_test

import (
	"net"
	"os"
)

// hermeticAWS makes the package's tests (and the stepd processes they
// start) hermetic for Tasks that call AWS services: static credentials
// (so no instance-role lookup) and AWS_ENDPOINT_URL at a loopback port
// nothing listens on (so no request leaves the machine). TestMain calls
// it first; tests that call emulators set per-service endpoints.
func hermeticAWS() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err == nil {
		os.Setenv("AWS_ENDPOINT_URL", "http://"+ln.Addr().String())
		ln.Close()
	}
	os.Setenv("AWS_ACCESS_KEY_ID", "AKIDSTEPDTEST")
	os.Setenv("AWS_SECRET_ACCESS_KEY", "stepd-test-secret")
	os.Setenv("AWS_CONFIG_FILE", os.DevNull)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
}
