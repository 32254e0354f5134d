package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	json "github.com/goccy/go-json"
	"github.com/hashicorp/raft"
)

// One TCP port carries both Raft and the forwarding of writes to the
// leader: a connection's first byte (after the TLS handshake, when TLS is
// on) says which.
const (
	protoRaft    byte = 'R'
	protoForward byte = 'F'
)

// handshakeTimeout bounds how long an accepted connection may take to
// finish TLS and send its protocol byte, so a silent peer cannot pin a
// goroutine.
const handshakeTimeout = 10 * time.Second

// TLSFiles names the PEM files for mutual TLS between nodes: this node's
// certificate and key, and the CA that signs every node's certificate.
// All empty means plain TCP.
type TLSFiles struct {
	Cert string
	Key  string
	CA   string
}

func (t TLSFiles) enabled() bool { return t.Cert != "" || t.Key != "" || t.CA != "" }

// load reads the files into the server side (which requires and verifies
// a client certificate) and the client side (which presents its
// certificate and verifies the server's), or nils when TLS is off.
func (t TLSFiles) load() (server, client *tls.Config, err error) {
	if !t.enabled() {
		return nil, nil, nil
	}
	if t.Cert == "" || t.Key == "" || t.CA == "" {
		return nil, nil, errors.New("mutual TLS needs all three of the certificate, key and CA files")
	}
	cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot load the TLS certificate %s: %w", t.Cert, err)
	}
	pem, err := os.ReadFile(t.CA)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("no PEM certificate in the CA file %s", t.CA)
	}
	server = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
	client = &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client, nil
}

// dialer opens connections to other nodes' ports for one protocol.
type dialer struct {
	tls *tls.Config // client side; nil for plain TCP
}

func (d dialer) dial(ctx context.Context, addr string, proto byte) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if d.tls != nil {
		cfg := d.tls.Clone()
		cfg.ServerName, _, _ = net.SplitHostPort(addr)
		tc := tls.Client(c, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
		}
		c = tc
	}
	if _, err := c.Write([]byte{proto}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// mux accepts connections on the node's Raft port and hands each to Raft
// or to the forwarding server by its first byte.
type mux struct {
	ln       net.Listener
	tls      *tls.Config // server side; nil for plain TCP
	logger   *log.Logger
	raft     chan net.Conn
	forward  chan net.Conn
	done     chan struct{}
	once     sync.Once
	rejected atomic.Uint64
}

func listenMux(addr string, serverTLS *tls.Config, logger *log.Logger) (*mux, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on the Raft address: %w", err)
	}
	m := &mux{ln: ln, tls: serverTLS, logger: logger, raft: make(chan net.Conn), forward: make(chan net.Conn), done: make(chan struct{})}
	go m.serve()
	return m, nil
}

func (m *mux) serve() {
	for {
		c, err := m.ln.Accept()
		if err != nil {
			select {
			case <-m.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			m.logger.Printf("raft port: accept: %v", err)
			return
		}
		go m.route(c)
	}
}

// route finishes the handshake of one accepted connection and hands it
// on; a peer that fails TLS (no certificate, or one the CA did not sign)
// is closed and counted.
func (m *mux) route(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	if m.tls != nil {
		tc := tls.Server(c, m.tls)
		if err := tc.Handshake(); err != nil {
			m.rejected.Add(1)
			m.logger.Printf("raft port: refused %s: %v", c.RemoteAddr(), err)
			c.Close()
			return
		}
		c = tc
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		c.Close()
		return
	}
	_ = c.SetDeadline(time.Time{})
	to := m.raft
	switch b[0] {
	case protoRaft:
	case protoForward:
		to = m.forward
	default:
		m.rejected.Add(1)
		c.Close()
		return
	}
	select {
	case to <- c:
	case <-m.done:
		c.Close()
	}
}

func (m *mux) close() error {
	var err error
	m.once.Do(func() {
		close(m.done)
		err = m.ln.Close()
	})
	return err
}

// subListener is the net.Listener of one protocol on the mux.
type subListener struct {
	m     *mux
	conns chan net.Conn
}

// Accept returns the next connection of this protocol, or net.ErrClosed
// once the port is closed.
func (l *subListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.m.done:
		return nil, net.ErrClosed
	}
}

// Close closes the whole port: both protocols stop together.
func (l *subListener) Close() error { return l.m.close() }

// Addr is the port's address.
func (l *subListener) Addr() net.Addr { return l.m.ln.Addr() }

// raftLayer is the raft.StreamLayer of the mux.
type raftLayer struct {
	subListener
	dialer dialer
}

var _ raft.StreamLayer = (*raftLayer)(nil)

// Dial opens a Raft connection to the node at addr.
func (l *raftLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return l.dialer.dial(ctx, string(addr), protoRaft)
}

// errNotLeader is what a node that is not the leader answers a forwarded
// request with; leader is the address of the leader it knows, if any.
type errNotLeader struct{ leader string }

// Error says who leads, if anyone.
func (e *errNotLeader) Error() string {
	if e.leader == "" {
		return "no leader is known"
	}
	return "not the leader; the leader is " + e.leader
}

// statusNotLeader is the HTTP status of a forwarded request that reached
// a node that is not the leader.
const statusNotLeader = http.StatusMisdirectedRequest

// errUnavailable is what a leader answers when Raft could not do what was
// asked (leadership lost meanwhile, a timeout): the request may be tried
// again if it is idempotent.
type errUnavailable struct{ msg string }

// Error is the leader's answer.
func (e *errUnavailable) Error() string { return e.msg }

// Client sends requests to other nodes' forwarding servers (writes,
// joins, removals) over their Raft port, with mutual TLS when configured.
// It is safe for concurrent use.
type Client struct {
	http *http.Client
}

// NewClient makes a client with the TLS files of the node it speaks for.
func NewClient(files TLSFiles) (*Client, error) {
	_, clientTLS, err := files.load()
	if err != nil {
		return nil, err
	}
	return newClient(dialer{tls: clientTLS}), nil
}

// errDial is a failure to connect (or to finish TLS) to another node:
// nothing was sent, so any request may be tried again, at another leader.
type errDial struct{ err error }

// Error is the connection's error.
func (e *errDial) Error() string { return e.err.Error() }

// Unwrap is the connection's error.
func (e *errDial) Unwrap() error { return e.err }

func newClient(d dialer) *Client {
	return &Client{http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			c, err := d.dial(ctx, addr, protoForward)
			if err != nil {
				return nil, &errDial{err}
			}
			return c, nil
		},
		// A connection per request: writes are rare, and a request that
		// fails to connect was surely not sent, so it can go to the next
		// leader. A pooled connection to a leader that just died would
		// fail after sending instead, when it is unknown whether the
		// leader committed it.
		DisableKeepAlives: true,
	}}}
}

// call posts in as JSON to path on the node at addr and decodes the
// answer into out. A node that is not the leader answers *errNotLeader.
func (c *Client) call(ctx context.Context, addr, path string, in []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+path, bytes.NewReader(in))
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach node %s: %w", addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("cannot read the answer of node %s: %w", addr, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if out == nil {
			return nil
		}
		return json.Unmarshal(body, out)
	case statusNotLeader:
		return &errNotLeader{leader: string(body)}
	case http.StatusServiceUnavailable:
		return &errUnavailable{msg: fmt.Sprintf("node %s: %s", addr, bytes.TrimSpace(body))}
	}
	return fmt.Errorf("node %s: %s", addr, bytes.TrimSpace(body))
}

// callLeader is call for idempotent requests: it follows "not the
// leader" answers to the leader, and tries again while an election runs or
// when the leader could not finish, until ctx ends.
func (c *Client) callLeader(ctx context.Context, addr, path string, in []byte, out any) error {
	wait, hops := 10*time.Millisecond, 0
	for {
		err := c.call(ctx, addr, path, in, out)
		var nl *errNotLeader
		var un *errUnavailable
		switch {
		case errors.As(err, &nl) && nl.leader != "" && nl.leader != addr && hops < 3:
			addr, hops = nl.leader, hops+1
			continue
		case !errors.As(err, &nl) && !errors.As(err, &un):
			return err
		}
		hops = 0
		select { // an election is running: try again shortly
		case <-time.After(wait):
			wait = min(2*wait, 200*time.Millisecond)
		case <-ctx.Done():
			return fmt.Errorf("%w (%v)", err, ctx.Err())
		}
	}
}

// Join asks the cluster that the node at raftAddr belongs to to add n as
// a voter. Any member's address works: the request finds the leader.
func (c *Client) Join(ctx context.Context, raftAddr string, n Member) error {
	b, _ := json.Marshal(n)
	return c.callLeader(ctx, raftAddr, "/join", b, nil)
}

// Remove asks the cluster that the node at raftAddr belongs to to remove
// the node called id.
func (c *Client) Remove(ctx context.Context, raftAddr, id string) error {
	b, _ := json.Marshal(removeNode{ID: id})
	return c.callLeader(ctx, raftAddr, "/remove", b, nil)
}
