package daemon

import (
	"bytes"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// notifyListener opens a unixgram socket as systemd does for a
// Type=notify unit and returns its address and a function that reads the
// next datagram (failing the test after a few seconds).
func notifyListener(t *testing.T, name string) (string, func() string) {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return name, func() string {
		t.Helper()
		buf := make([]byte, 4096)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(buf[:n])
	}
}

func TestSdNotify(t *testing.T) {
	addr, read := notifyListener(t, filepath.Join(t.TempDir(), "notify"))
	if err := sdNotify(addr, "READY=1"); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "READY=1" {
		t.Errorf("got %q", got)
	}
}

func TestSdNotifyAbstract(t *testing.T) {
	name := "stepd-test-" + strconv.Itoa(os.Getpid())
	_, read := notifyListener(t, "\x00"+name)
	if err := sdNotify("@"+name, "STOPPING=1"); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "STOPPING=1" {
		t.Errorf("got %q", got)
	}
}

func TestSdNotifyErrors(t *testing.T) {
	if err := sdNotify("", "READY=1"); err != nil {
		t.Errorf("without a socket: %v", err)
	}
	if err := sdNotify(filepath.Join(t.TempDir(), "none"), "READY=1"); err == nil {
		t.Error("no error for a socket that does not exist")
	}
	// Not under systemd: nothing happens, nothing is logged.
	t.Setenv("NOTIFY_SOCKET", "")
	var logs bytes.Buffer
	sdNotifyReady(log.New(&logs, "", 0), "listening")
	if logs.Len() != 0 {
		t.Errorf("logged %q", logs.String())
	}
	// A socket that went away is logged, not fatal.
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone"))
	sdNotifyReady(log.New(&logs, "", 0), "listening")
	if !strings.Contains(logs.String(), "systemd: cannot reach NOTIFY_SOCKET") {
		t.Errorf("logged %q", logs.String())
	}
}

// TestSdNotifyReadyThenStopping sends READY=1, then SIGTERM to the test
// process itself: sdNotifyReady has registered for it, so the process is
// not killed, and STOPPING=1 follows.
func TestSdNotifyReadyThenStopping(t *testing.T) {
	addr, read := notifyListener(t, filepath.Join(t.TempDir(), "notify"))
	t.Setenv("NOTIFY_SOCKET", addr)
	sdNotifyReady(log.New(os.Stderr, "", 0), "listening on 127.0.0.1:8083")
	got := read()
	want := "READY=1\nSTATUS=listening on 127.0.0.1:8083\nMAINPID=" + strconv.Itoa(os.Getpid())
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "STOPPING=1\nSTATUS=terminated: draining" {
		t.Errorf("got %q", got)
	}
}
