package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Credentials of the authenticated nodes: one access key and one token per
// role.
const (
	adminKey, adminSecret = "AKIASTEPDADMIN", "admin-secret-0123456789"
	execKey, execSecret   = "AKIASTEPDEXEC", "exec-secret-0123456789"
	readKey               = "AKIASTEPDREAD"
	adminToken            = "admin-token-0123456789abcdef"
	execToken             = "exec-token-0123456789abcdef"
	readToken             = "read-token-0123456789abcdef"
)

// authConfig writes a config file with the test credentials (the read
// key's secret in a file of its own, as systemd credentials are) and
// returns the -config arguments.
func authConfig(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "read.secret")
	if err := os.WriteFile(secretFile, []byte("read-secret-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{"auth": map[string]any{
		"keys": []map[string]string{
			{"accessKeyId": adminKey, "secretAccessKey": adminSecret, "role": "admin"},
			{"accessKeyId": execKey, "secretAccessKey": execSecret, "role": "execute"},
			{"accessKeyId": readKey, "secretAccessKeyFile": secretFile, "role": "read"},
		},
		"tokens": []map[string]string{
			{"name": "admin", "token": adminToken, "role": "admin"},
			{"name": "runner", "token": execToken, "role": "execute"},
			{"name": "console", "token": readToken, "role": "read"},
		},
	}}
	b, _ := json.Marshal(cfg)
	path := filepath.Join(dir, "stepd.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"-config", path}
}

// keyClient is an SDK client for p that signs with the given key.
func keyClient(p *stepdProc, base, key, secret string, httpClient aws.HTTPClient) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(base),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, nil
		}),
		Retryer:    aws.NopRetryer{},
		APIOptions: sdkOptions,
		HTTPClient: sdkHTTP(httpClient),
	})
}

// TestAuthSDK drives an authenticated node with the AWS SDK for Go v2:
// each role may do what it should, and a wrong secret, an unknown key and
// a role without the permission get AWS's errors.
func TestAuthSDK(t *testing.T) {
	p := startStepd(t, authConfig(t)...)
	ctx := testContext(t)
	admin := keyClient(p, p.url(), adminKey, adminSecret, nil)
	exec := keyClient(p, p.url(), execKey, execSecret, nil)
	read := keyClient(p, p.url(), readKey, "read-secret-0123456789", nil)

	arn := create(t, admin, "auth-pass", types.StateMachineTypeExpress, e2ePass)
	out, err := exec.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"n":1}`)})
	if err != nil || out.Status != types.SyncExecutionStatusSucceeded {
		t.Fatalf("StartSyncExecution with the execute key: %v %+v", err, out)
	}
	if _, err := read.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatalf("DescribeStateMachine with the read key: %v", err)
	}

	for _, tc := range []struct {
		name     string
		call     func() error
		wantCode string
		wantMsg  string
	}{
		{"read key creates", func() error {
			_, err := read.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("x"), Definition: aws.String(e2ePass), RoleArn: aws.String(e2eRole)})
			return err
		}, "AccessDeniedException", "is not authorized to perform: states:CreateStateMachine"},
		{"read key runs", func() error {
			_, err := read.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn)})
			return err
		}, "AccessDeniedException", "states:StartSyncExecution"},
		{"execute key deletes", func() error {
			_, err := exec.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)})
			return err
		}, "AccessDeniedException", "states:DeleteStateMachine"},
		{"wrong secret", func() error {
			_, err := keyClient(p, p.url(), adminKey, "not-the-secret", nil).ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
			return err
		}, "InvalidSignatureException", "The request signature we calculated does not match"},
		{"unknown key", func() error {
			_, err := keyClient(p, p.url(), "AKIANOBODY", adminSecret, nil).ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
			return err
		}, "UnrecognizedClientException", "The security token included in the request is invalid."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if code := apiErrorCode(err); code != tc.wantCode || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("error %v (code %q), want %s containing %q", err, code, tc.wantCode, tc.wantMsg)
			}
		})
	}
	if _, err := admin.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatalf("the machine is gone after a refused delete: %v", err)
	}
	if !strings.Contains(p.log(), "auth: refused") {
		t.Errorf("refusals were not logged:\n%s", p.log())
	}
}

// signedCall signs an AWS JSON request with the SDK's SigV4 signer at the
// time at, lets tamper change it after signing, and sends it.
func signedCall(t *testing.T, base, action, body string, at time.Time, tamper func(*http.Request)) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+action)
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "states", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{resp.StatusCode, resp.Header, string(b)}
}

// TestAuthSignatureTampering replays and tampers with signed requests on
// the wire, sends unsigned ones and bearer tokens, and checks AWS's
// answers, the denial metrics and that /healthz and /readyz stay open.
func TestAuthSignatureTampering(t *testing.T) {
	p := startStepd(t, authConfig(t)...)
	now := time.Now()
	list := `{"maxResults":10}`
	for _, tc := range []struct {
		name     string
		at       time.Time
		tamper   func(*http.Request)
		wantCode string
		wantMsg  string
	}{
		{"valid", now, nil, "", ""},
		{"replayed within 15 minutes", now.Add(-10 * time.Minute), nil, "", ""},
		{"expired", now.Add(-20 * time.Minute), nil, "InvalidSignatureException", "Signature expired: "},
		{"from the future", now.Add(20 * time.Minute), nil, "InvalidSignatureException", "Signature not yet current: "},
		{"tampered body", now, func(r *http.Request) {
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(`{"maxResults":11}`)), int64(len(list))
		}, "InvalidSignatureException", "does not match"},
		{"tampered target", now, func(r *http.Request) { r.Header.Set("X-Amz-Target", "AWSStepFunctions.DeleteStateMachine") }, "InvalidSignatureException", "does not match"},
		{"tampered date", now, func(r *http.Request) {
			r.Header.Set("X-Amz-Date", now.Add(time.Second).UTC().Format("20060102T150405Z"))
		}, "InvalidSignatureException", "does not match"},
		{"unsigned", now, func(r *http.Request) { r.Header.Del("Authorization") }, "MissingAuthenticationTokenException", "missing Authentication Token"},
		{"bearer token", now, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+readToken) }, "", ""},
		{"unknown bearer token", now, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+readToken+"x") }, "UnrecognizedClientException", "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := signedCall(t, p.url(), "ListStateMachines", list, tc.at, tc.tamper)
			if tc.wantCode == "" {
				if r.status != 200 {
					t.Fatalf("%d %s, want 200", r.status, r.body)
				}
				return
			}
			if r.status != 400 || awsErrorType(t, r) != tc.wantCode || r.header.Get("X-Amzn-ErrorType") != tc.wantCode || !strings.Contains(r.body, tc.wantMsg) {
				t.Fatalf("%d %s, want 400 %s containing %q", r.status, r.body, tc.wantCode, tc.wantMsg)
			}
		})
	}
	// The read token may not run executions on the AWS API either.
	r := signedCall(t, p.url(), "StartSyncExecution", `{"stateMachineArn":"`+machineArn("x")+`"}`, now, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+readToken) })
	if r.status != 400 || awsErrorType(t, r) != "AccessDeniedException" {
		t.Errorf("read token StartSyncExecution: %d %s, want AccessDeniedException", r.status, r.body)
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		if r := do(t, http.DefaultClient, http.MethodGet, p.url()+path, nil, nil); r.status != 200 {
			t.Errorf("GET %s without credentials: %d, want 200", path, r.status)
		}
	}
	if r := do(t, http.DefaultClient, http.MethodGet, p.url()+"/metrics", nil, nil); r.status != 400 || awsErrorType(t, r) != "MissingAuthenticationTokenException" {
		t.Errorf("GET /metrics without credentials: %d %s", r.status, r.body)
	}
	metrics := do(t, http.DefaultClient, http.MethodGet, p.url()+"/metrics", map[string]string{"Authorization": "Bearer " + readToken}, nil)
	for _, want := range []string{
		`stepd_auth_denied_total{code="InvalidSignatureException"} 5`,
		`stepd_auth_denied_total{code="MissingAuthenticationTokenException"} 2`,
		`stepd_auth_denied_total{code="UnrecognizedClientException"} 1`,
		`stepd_auth_denied_total{code="AccessDeniedException"} 1`,
	} {
		if !strings.Contains(metrics.body, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestAuthREST checks bearer tokens on the REST API: the role decides by
// method and route, and refusals answer 401 or 403 with AWS's error name.
func TestAuthREST(t *testing.T) {
	p := startStepd(t, authConfig(t)...)
	base := p.url() + "/v1/state-machines"
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	for _, tc := range []struct {
		name         string
		method, url  string
		header       map[string]string
		body         string
		status       int
		wantRESTCode string
	}{
		{"no token", http.MethodGet, base, nil, "", 401, "MissingAuthenticationTokenException"},
		{"unknown token", http.MethodGet, base, bearer("nope-0123456789abcdef"), "", 401, "UnrecognizedClientException"},
		{"read token creates", http.MethodPut, base + "/rest-auth", bearer(readToken), e2ePass, 403, "AccessDeniedException"},
		{"execute token creates", http.MethodPut, base + "/rest-auth", bearer(execToken), e2ePass, 403, "AccessDeniedException"},
		{"admin token creates", http.MethodPut, base + "/rest-auth", bearer(adminToken), e2ePass, 201, ""},
		{"read token lists", http.MethodGet, base, bearer(readToken), "", 200, ""},
		{"read token describes", http.MethodGet, base + "/rest-auth", bearer(readToken), "", 200, ""},
		{"read token runs", http.MethodPost, base + "/rest-auth/executions", bearer(readToken), `{}`, 403, "AccessDeniedException"},
		{"execute token runs", http.MethodPost, base + "/rest-auth/executions", bearer(execToken), `{"n":1}`, 200, ""},
		{"execute token deletes", http.MethodDelete, base + "/rest-auth", bearer(execToken), "", 403, "AccessDeniedException"},
		{"admin token deletes", http.MethodDelete, base + "/rest-auth", bearer(adminToken), "", 204, ""},
		// The waiting tasks hold their tokens: listing them is answering them.
		{"read token lists waiting tasks", http.MethodGet, p.url() + "/v1/tasks", bearer(readToken), "", 403, "AccessDeniedException"},
		{"execute token lists waiting tasks", http.MethodGet, p.url() + "/v1/tasks", bearer(execToken), "", 200, ""},
		{"execute token answers a task", http.MethodPost, p.url() + "/v1/tasks/forged/success", bearer(execToken), `{}`, 400, "InvalidToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, http.DefaultClient, tc.method, tc.url, tc.header, []byte(tc.body))
			if r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.status)
			}
			if tc.wantRESTCode != "" && restError(t, r) != tc.wantRESTCode {
				t.Errorf("error %s, want %s", r.body, tc.wantRESTCode)
			}
		})
	}
}

// TestAuthAWSCLI checks that the AWS CLI authenticates with a configured
// key, and gets AWS's errors for a wrong secret and a missing permission.
func TestAuthAWSCLI(t *testing.T) {
	bin := awsCLI(t)
	p := startStepd(t, authConfig(t)...)
	endpoint := "--endpoint-url=" + p.url()
	admin := []string{"AWS_ACCESS_KEY_ID=" + adminKey, "AWS_SECRET_ACCESS_KEY=" + adminSecret}
	var created struct{ StateMachineArn string }
	cliJSON(t, bin, admin, &created, "stepfunctions", "create-state-machine", endpoint,
		"--name", "cli-auth", "--type", "EXPRESS", "--role-arn", e2eRole, "--definition", e2ePass)
	if created.StateMachineArn != machineArn("cli-auth") {
		t.Fatalf("create-state-machine answered %+v", created)
	}
	var got syncOutput
	cliJSON(t, bin, []string{"AWS_ACCESS_KEY_ID=" + execKey, "AWS_SECRET_ACCESS_KEY=" + execSecret, "HTTP_PROXY=" + p.url(), "http_proxy=" + p.url(), "NO_PROXY=", "no_proxy="},
		&got, "stepfunctions", "start-sync-execution", "--endpoint-url", "http://stepd.invalid:"+portOf(p.addr),
		"--state-machine-arn", machineArn("cli-auth"), "--input", `{"n":1}`)
	if got.Status != "SUCCEEDED" {
		t.Errorf("start-sync-execution with the execute key: %+v", got)
	}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"wrong secret", []string{"AWS_ACCESS_KEY_ID=" + adminKey, "AWS_SECRET_ACCESS_KEY=wrong"}, []string{"list-state-machines"}, "(InvalidSignatureException)"},
		{"unknown key", nil, []string{"list-state-machines"}, "(UnrecognizedClientException)"},
		{"read key deletes", []string{"AWS_ACCESS_KEY_ID=" + readKey, "AWS_SECRET_ACCESS_KEY=read-secret-0123456789"},
			[]string{"delete-state-machine", "--state-machine-arn", machineArn("cli-auth")}, "(AccessDeniedException)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, bin, tc.env, append([]string{"stepfunctions", endpoint}, tc.args...)...)
			if (r.code != 254 && r.code != 255) || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 254 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

// TestOpenListenerRefusesToStart checks that a node on a non-loopback
// address without credentials exits with a usage error, and starts with
// -allow-unauthenticated.
func TestOpenListenerRefusesToStart(t *testing.T) {
	if stepdBin == "" {
		t.Fatal(buildErr)
	}
	out, err := exec.Command(stepdBin, "serve", "-listen", "0.0.0.0:0", "-data-dir", t.TempDir()).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "-allow-unauthenticated") {
		t.Fatalf("stepd serve -listen 0.0.0.0:0: %v\n%s", err, out)
	}
	p := startStepd(t, "-listen", "0.0.0.0:0", "-allow-unauthenticated")
	if err := isReady(http.DefaultClient, "http://127.0.0.1:"+portOf(strings.Replace(p.addr, "[::]", "0.0.0.0", 1))); err != nil {
		t.Fatal(err)
	}
}

// testCA is a certificate authority made for one test; its keys never
// leave memory and the test's temporary directory.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert, key, pool}
}

// sign issues a certificate for a new key with the given serial and
// usage (for 127.0.0.1 when it is a server's) and returns both as PEM.
func (ca *testCA) sign(t *testing.T, serial int64, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: fmt.Sprintf("stepd-%d", serial)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// issue writes a server certificate with the given serial and its key to
// certFile and keyFile.
func (ca *testCA) issue(t *testing.T, serial int64, certFile, keyFile string) {
	t.Helper()
	certPEM, keyPEM := ca.sign(t, serial, x509.ExtKeyUsageServerAuth)
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
}

// clientCert issues a client certificate.
func (ca *testCA) clientCert(t *testing.T) tls.Certificate {
	t.Helper()
	c, err := tls.X509KeyPair(ca.sign(t, 100, x509.ExtKeyUsageClientAuth))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMutualTLS requires client certificates on the API: a client with a
// certificate of -tls-client-ca completes the handshake and is then
// authenticated as usual; one without a certificate, or with one of
// another CA, fails the handshake.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, caFile := filepath.Join(dir, "api.crt"), filepath.Join(dir, "api.key"), filepath.Join(dir, "clients.pem")
	ca, other := newTestCA(t, "stepd test CA"), newTestCA(t, "some other CA")
	ca.issue(t, 1, certFile, keyFile)
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startStepd(t, append(authConfig(t), "-tls-cert", certFile, "-tls-key", keyFile, "-tls-client-ca", caFile)...)
	base := "https://" + p.addr
	withCert := func(c tls.Certificate) *http.Client {
		cl := tlsClient(ca.pool, false)
		cl.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{c}
		return cl
	}
	if _, err := servedSerial(withCert(ca.clientCert(t)), base+"/healthz"); err != nil {
		t.Fatalf("with a client certificate of the CA: %v", err)
	}
	sdk := keyClient(p, base, adminKey, adminSecret, withCert(ca.clientCert(t)))
	create(t, sdk, "mtls-pass", types.StateMachineTypeExpress, e2ePass)
	for name, c := range map[string]*http.Client{"no client certificate": tlsClient(ca.pool, false), "another CA's certificate": withCert(other.clientCert(t))} {
		if _, err := servedSerial(c, base+"/healthz"); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("%s: %v, want a failed handshake", name, err)
		}
	}
}

// tlsClient trusts pool; keepAlive false makes every request a new
// handshake.
func tlsClient(pool *x509.CertPool, keepAlive bool) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: !keepAlive}}
}

// servedSerial makes one request with c and returns the serial number of
// the certificate the server presented.
func servedSerial(c *http.Client, url string) (int64, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // read to the end, so the connection can be kept
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return resp.TLS.PeerCertificates[0].SerialNumber.Int64(), nil
}

// TestTLS serves the API over TLS: handshakes succeed with the right CA
// (the SDK signs and runs over it too) and fail with a wrong one or plain
// HTTP; SIGHUP swaps the certificate for new connections while a
// keep-alive connection opened before stays up; a broken certificate file
// at SIGHUP keeps the old certificate.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "api.crt"), filepath.Join(dir, "api.key")
	ca, other := newTestCA(t, "stepd test CA"), newTestCA(t, "some other CA")
	ca.issue(t, 1, certFile, keyFile)
	p := startStepd(t, append(authConfig(t), "-tls-cert", certFile, "-tls-key", keyFile)...)
	base := "https://" + p.addr

	if serial, err := servedSerial(tlsClient(ca.pool, false), base+"/healthz"); err != nil || serial != 1 {
		t.Fatalf("with the right CA: serial %d, %v", serial, err)
	}
	if _, err := servedSerial(tlsClient(other.pool, false), base+"/healthz"); err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Fatalf("with a wrong CA: %v, want an unknown-authority error", err)
	}
	if resp, err := http.Get("http://" + p.addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("plain HTTP to the TLS listener answered %d", resp.StatusCode)
		}
	}
	sdk := keyClient(p, base, adminKey, adminSecret, tlsClient(ca.pool, true))
	arn := create(t, sdk, "tls-pass", types.StateMachineTypeExpress, e2ePass)
	if out, err := sdk.StartSyncExecution(testContext(t), &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn)}); err != nil || out.Status != types.SyncExecutionStatusSucceeded {
		t.Fatalf("StartSyncExecution over TLS: %v", err)
	}

	kept := tlsClient(ca.pool, true)
	if serial, err := servedSerial(kept, base+"/healthz"); err != nil || serial != 1 {
		t.Fatalf("keep-alive client: serial %d, %v", serial, err)
	}
	ca.issue(t, 2, certFile, keyFile)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	fresh := tlsClient(ca.pool, false)
	waitFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if serial, err := servedSerial(fresh, base+"/healthz"); err != nil || serial != 2 {
			return fmt.Errorf("after SIGHUP a new connection sees serial %d (%v), want 2", serial, err)
		}
		return nil
	})
	if serial, err := servedSerial(kept, base+"/healthz"); err != nil || serial != 1 {
		t.Errorf("the keep-alive connection from before SIGHUP: serial %d, %v; want it kept, with serial 1", serial, err)
	}

	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if !strings.Contains(p.log(), "keeping the certificate") {
			return fmt.Errorf("no log of the failed reload:\n%s", p.log())
		}
		return nil
	})
	if serial, err := servedSerial(fresh, base+"/healthz"); err != nil || serial != 2 {
		t.Errorf("after a failed reload: serial %d, %v; want 2", serial, err)
	}
}
