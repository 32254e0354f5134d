// Package testpki writes throwaway certificate authorities and node
// certificates for tests of mutual TLS. It is for tests only: keys are
// written unencrypted and certificates last an hour.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// Files are the PEM files of one node: its certificate and key, and the
// CA that signed it.
type Files struct {
	Cert, Key, CA string
}

// CA is a certificate authority whose files live in a directory.
type CA struct {
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// File is the CA certificate's PEM file.
	File string
}

var serial atomic.Int64

// NewCA writes a new CA called name into dir.
func NewCA(dir, name string) (*CA, error) {
	ca := &CA{dir: dir}
	tmpl := template(name)
	tmpl.IsCA = true
	tmpl.KeyUsage |= x509.KeyUsageCertSign
	var err error
	if ca.cert, ca.key, ca.File, _, err = write(dir, name, tmpl, nil, nil); err != nil {
		return nil, err
	}
	return ca, nil
}

// Issue writes a certificate for 127.0.0.1 called name, good for both
// server and client authentication, signed by the CA.
func (ca *CA) Issue(name string) (Files, error) {
	tmpl := template(name)
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	_, _, cert, key, err := write(ca.dir, name, tmpl, ca.cert, ca.key)
	return Files{Cert: cert, Key: key, CA: ca.File}, err
}

func template(name string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano() + serial.Add(1)), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true,
	}
}

// write makes a key, signs tmpl with parent (itself when nil) and writes
// name.pem and name.key into dir.
func write(dir, name string, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, string, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, "", "", err
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, "", "", fmt.Errorf("cannot sign %s: %w", name, err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, "", "", err
	}
	certFile, keyFile := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, nil, "", "", err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return nil, nil, "", "", err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, certFile, keyFile, err
}
