package daemon

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// certReloader holds the API listener's certificate (and the CAs client
// certificates must chain to, with -tls-client-ca) and swaps them for the
// files' current content on reload: handshakes after a reload see the new
// ones, connections already open keep theirs. It is safe for concurrent
// use.
type certReloader struct {
	certFile, keyFile, clientCAFile string
	cert                            atomic.Pointer[tls.Certificate]
	clientCAs                       atomic.Pointer[x509.CertPool]
}

// newCertReloader reads the files once; a node with an unreadable
// certificate does not start.
func newCertReloader(certFile, keyFile, clientCAFile string) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, clientCAFile: clientCAFile}
	if err := r.reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// reload reads the files again; on any error the old ones stay.
func (r *certReloader) reload() error {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("cannot load -tls-cert %s and -tls-key %s: %w", r.certFile, r.keyFile, err)
	}
	if c.Leaf == nil {
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return fmt.Errorf("cannot parse -tls-cert %s: %w", r.certFile, err)
		}
	}
	var pool *x509.CertPool
	if r.clientCAFile != "" {
		pem, err := os.ReadFile(r.clientCAFile)
		if err != nil {
			return fmt.Errorf("cannot read -tls-client-ca: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("-tls-client-ca %s holds no PEM certificate", r.clientCAFile)
		}
	}
	r.cert.Store(&c)
	r.clientCAs.Store(pool)
	return nil
}

// describe names the current certificate for the log.
func (r *certReloader) describe() string {
	c := r.cert.Load().Leaf
	return fmt.Sprintf("%q serial %s, valid until %s", c.Subject.CommonName, c.SerialNumber, c.NotAfter.UTC().Format("2006-01-02T15:04:05Z"))
}

// config is the TLS configuration of one handshake: the current
// certificate and, with -tls-client-ca, the current client CAs, required.
func (r *certReloader) config(*tls.ClientHelloInfo) (*tls.Config, error) {
	c := &tls.Config{Certificates: []tls.Certificate{*r.cert.Load()}, MinVersion: tls.VersionTLS12}
	if pool := r.clientCAs.Load(); pool != nil {
		c.ClientCAs, c.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return c, nil
}

// wrapTLS returns ln itself when cfg names no certificate, or else ln
// speaking TLS (1.2 or later) with -tls-cert and -tls-key, requiring
// client certificates of -tls-client-ca when set; SIGHUP re-reads the
// files until ctx ends.
func wrapTLS(ctx context.Context, cfg Config, ln net.Listener, logger *log.Logger) (net.Listener, error) {
	if cfg.TLSCert == "" {
		return ln, nil
	}
	r, err := newCertReloader(cfg.TLSCert, cfg.TLSKey, cfg.TLSClientCA)
	if err != nil {
		return nil, err
	}
	logger.Printf("TLS certificate %s", r.describe())
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := r.reload(); err != nil {
					logger.Printf("SIGHUP: %v; keeping the certificate %s", err, r.describe())
					continue
				}
				logger.Printf("SIGHUP: reloaded TLS certificate %s", r.describe())
			}
		}
	}()
	return tls.NewListener(ln, &tls.Config{GetConfigForClient: r.config, MinVersion: tls.VersionTLS12}), nil
}
