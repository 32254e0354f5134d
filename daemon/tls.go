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

// certReloader holds the API listener's certificate and swaps it for the
// files' current content on reload: handshakes after a reload present the
// new certificate, connections already open keep theirs. It is safe for
// concurrent use.
type certReloader struct {
	certFile, keyFile string
	cert              atomic.Pointer[tls.Certificate]
}

// newCertReloader reads the certificate and key once; a node with an
// unreadable certificate does not start.
func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile}
	if err := r.reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// reload reads both files again; on any error the old certificate stays.
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
	r.cert.Store(&c)
	return nil
}

// getCertificate is tls.Config.GetCertificate: the current certificate.
func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cert.Load(), nil
}

// describe names the current certificate for the log.
func (r *certReloader) describe() string {
	c := r.cert.Load().Leaf
	return fmt.Sprintf("%q serial %s, valid until %s", c.Subject.CommonName, c.SerialNumber, c.NotAfter.UTC().Format("2006-01-02T15:04:05Z"))
}

// wrapTLS returns ln itself when cfg names no certificate, or else ln
// speaking TLS (1.2 or later) with the certificate of -tls-cert and
// -tls-key, which SIGHUP re-reads until ctx ends.
func wrapTLS(ctx context.Context, cfg Config, ln net.Listener, logger *log.Logger) (net.Listener, error) {
	if cfg.TLSCert == "" {
		return ln, nil
	}
	r, err := newCertReloader(cfg.TLSCert, cfg.TLSKey)
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
	return tls.NewListener(ln, &tls.Config{GetCertificate: r.getCertificate, MinVersion: tls.VersionTLS12}), nil
}
