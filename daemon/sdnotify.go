package daemon

import (
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// The systemd notification protocol (sd_notify(3)), for Type=notify
// units: the service manager passes a unixgram socket in $NOTIFY_SOCKET
// and the service sends newline-separated KEY=VALUE assignments to it.
// stepd sends READY=1 once it listens and STOPPING=1 when it starts to
// drain, so `systemctl start` returns only when the API accepts
// connections, and `systemctl status` shows what the node is doing.
// Without $NOTIFY_SOCKET (not under systemd) nothing is sent.

// sdNotify sends state (for example "READY=1") to the notification socket
// addr: a file system path, or "@name" for a Linux abstract socket.
func sdNotify(addr, state string) error {
	if addr == "" {
		return nil
	}
	name := addr
	if strings.HasPrefix(addr, "@") {
		name = "\x00" + addr[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("cannot reach NOTIFY_SOCKET %q: %w", addr, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("cannot notify %q: %w", addr, err)
	}
	return nil
}

// sdNotifyReady tells the service manager that the node is ready (status
// is shown by systemctl status), and arranges for STOPPING=1 to be sent
// when SIGTERM or SIGINT arrives, as the node starts draining. Call it
// once, after the listener is open. It does nothing when $NOTIFY_SOCKET
// is unset; a failure to notify is logged, never fatal.
func sdNotifyReady(logger *log.Logger, status string) {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return
	}
	if err := sdNotify(addr, fmt.Sprintf("READY=1\nSTATUS=%s\nMAINPID=%d", status, os.Getpid())); err != nil {
		logger.Printf("systemd: %v", err)
		return
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-sig
		signal.Stop(sig)
		if err := sdNotify(addr, fmt.Sprintf("STOPPING=1\nSTATUS=%v: draining", s)); err != nil {
			logger.Printf("systemd: %v", err)
		}
	}()
}
