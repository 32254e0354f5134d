package daemon

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// lingerBytes bounds what a closing connection reads and discards: a
// body up to 64 MiB sent after its answer is still read to its end, so
// the client sees the answer; a larger one is cut off.
const lingerBytes = 64 << 20

// maxLingering bounds the connections lingering at once; past it, a
// connection is closed at once, as without lingering.
const maxLingering = 1024

// lingerListener makes the connections it accepts close the way a client
// can read their last answer. The server closes a connection while the
// client may still be sending (a body larger than the server reads, a
// timeout): closing a socket with unread bytes makes the kernel send a
// reset, and a client that reads its answer only after sending its body
// (most do) gets "connection reset" or "broken pipe" instead of the 413.
// A lingering close shuts the write side (the answer and a FIN go out),
// reads and discards what the client still sends, up to lingerBytes or
// for at most the linger time, then closes the socket. TCP and Unix
// connections linger; others close as usual.
type lingerListener struct {
	net.Listener
	wait time.Duration
}

// lingering counts the connections lingering now.
var lingering atomic.Int64

type halfCloser interface {
	net.Conn
	CloseWrite() error
}

// Accept wraps the next connection.
func (l *lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if hc, ok := c.(halfCloser); ok {
		return &lingerConn{halfCloser: hc, wait: l.wait}, nil
	}
	return c, nil
}

// lingerConn is a connection whose Close lingers (see lingerListener).
type lingerConn struct {
	halfCloser
	wait time.Duration
	once sync.Once
}

// Close starts the lingering close in the background and returns: the
// server's goroutine is free at once.
func (c *lingerConn) Close() error {
	c.once.Do(func() {
		if lingering.Add(1) > maxLingering {
			lingering.Add(-1)
			_ = c.halfCloser.Close()
			return
		}
		go c.linger()
	})
	return nil
}

func (c *lingerConn) linger() {
	defer lingering.Add(-1)
	if c.CloseWrite() == nil && c.SetReadDeadline(time.Now().Add(c.wait)) == nil {
		_, _ = io.CopyN(io.Discard, c.halfCloser, lingerBytes)
	}
	_ = c.halfCloser.Close()
}
