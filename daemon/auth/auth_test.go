package auth

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/valyala/fasthttp"
)

// testAuth is an authenticator with one key per role and one token, on a
// fixed clock.
func testAuth(t testing.TB, now time.Time) *Authenticator {
	t.Helper()
	a, err := New(Config{
		Keys: []AccessKey{
			{AccessKeyID: "AKIDADMIN", SecretAccessKey: "admin-secret", Role: "admin"},
			{AccessKeyID: "AKIDREAD", SecretAccessKey: "read-secret", Role: "read"},
		},
		Tokens: []BearerToken{{Name: "console", Token: "console-token-0123456789", Role: "execute"}},
	}, "us-east-1", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	a.now = func() time.Time { return now }
	return a
}

// signedRequest signs an AWS JSON request with the AWS SDK's own SigV4
// signer and returns it as the server parses it off the wire.
func signedRequest(t testing.TB, keyID, secret, region, service string, at time.Time, body string, edit func(*http.Request)) *fasthttp.Request {
	t.Helper()
	hr, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:8083/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/x-amz-json-1.0")
	hr.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, hr, hex.EncodeToString(sum[:]), service, region, at); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(hr)
	}
	var wire bytes.Buffer
	if err := hr.Write(&wire); err != nil {
		t.Fatal(err)
	}
	var req fasthttp.Request
	if err := req.Read(bufio.NewReader(&wire)); err != nil {
		t.Fatal(err)
	}
	return &req
}

func TestVerifySigV4(t *testing.T) {
	now := time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC)
	a := testAuth(t, now)
	body := `{"maxResults":10}`
	for _, tc := range []struct {
		name           string
		key, secret    string
		region, svc    string
		at             time.Time
		edit           func(*http.Request)
		wantCode, want string // want: a substring of the message
	}{
		{name: "valid", key: "AKIDADMIN", secret: "admin-secret"},
		{name: "valid 14 minutes old", key: "AKIDADMIN", secret: "admin-secret", at: now.Add(-14 * time.Minute)},
		{name: "valid 14 minutes ahead", key: "AKIDREAD", secret: "read-secret", at: now.Add(14 * time.Minute)},
		{name: "wrong secret", key: "AKIDADMIN", secret: "nope", wantCode: "InvalidSignatureException", want: "does not match"},
		{name: "unknown key", key: "AKIDNOBODY", secret: "x", wantCode: "UnrecognizedClientException", want: "security token included in the request is invalid"},
		{name: "tampered body", key: "AKIDADMIN", secret: "admin-secret", wantCode: "InvalidSignatureException", want: "does not match",
			edit: func(r *http.Request) { r.Body = http.NoBody; r.ContentLength = 0 }},
		{name: "tampered signed header", key: "AKIDADMIN", secret: "admin-secret", wantCode: "InvalidSignatureException", want: "does not match",
			edit: func(r *http.Request) { r.Header.Set("X-Amz-Target", "AWSStepFunctions.DeleteStateMachine") }},
		{name: "expired", key: "AKIDADMIN", secret: "admin-secret", at: now.Add(-16 * time.Minute), wantCode: "InvalidSignatureException",
			want: "Signature expired: 20261121T081400Z is now earlier than 20261121T081500Z (20261121T083000Z - 15 min.)"},
		{name: "future", key: "AKIDADMIN", secret: "admin-secret", at: now.Add(16 * time.Minute), wantCode: "InvalidSignatureException",
			want: "Signature not yet current: 20261121T084600Z is still later than 20261121T084500Z (20261121T083000Z + 15 min.)"},
		{name: "other region", key: "AKIDADMIN", secret: "admin-secret", region: "eu-west-1", wantCode: "InvalidSignatureException", want: "scoped to a valid region, not 'eu-west-1'"},
		{name: "other service", key: "AKIDADMIN", secret: "admin-secret", svc: "lambda", wantCode: "InvalidSignatureException", want: "correct service: 'states'"},
		{name: "no date", key: "AKIDADMIN", secret: "admin-secret", wantCode: "IncompleteSignatureException", want: "'X-Amz-Date' or a 'Date'",
			edit: func(r *http.Request) { r.Header.Del("X-Amz-Date") }},
		{name: "bad date", key: "AKIDADMIN", secret: "admin-secret", wantCode: "IncompleteSignatureException", want: "ISO-8601",
			edit: func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-11-21T08:30:00Z") }},
		{name: "bad Date header", key: "AKIDADMIN", secret: "admin-secret", wantCode: "IncompleteSignatureException", want: "Got 'yesterday'",
			edit: func(r *http.Request) { r.Header.Del("X-Amz-Date"); r.Header.Set("Date", "yesterday") }},
		{name: "Date header instead of X-Amz-Date", key: "AKIDADMIN", secret: "admin-secret", wantCode: "InvalidSignatureException", want: "does not match",
			edit: func(r *http.Request) {
				r.Header.Del("X-Amz-Date")
				r.Header.Set("Date", "Sat, 21 Nov 2026 08:30:00 GMT")
			}},
		{name: "scope date differs", key: "AKIDADMIN", secret: "admin-secret", wantCode: "InvalidSignatureException", want: "Date in Credential scope does not match",
			edit: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20261120T083000Z") }},
		{name: "no signature", key: "AKIDADMIN", secret: "admin-secret", wantCode: "IncompleteSignatureException", want: "'Signature' parameter",
			edit: func(r *http.Request) {
				h, _, _ := strings.Cut(r.Header.Get("Authorization"), ", Signature=")
				r.Header.Set("Authorization", h)
			}},
		{name: "host not signed", key: "AKIDADMIN", secret: "admin-secret", wantCode: "InvalidSignatureException", want: "'Host'",
			edit: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
			}},
		{name: "unsigned", wantCode: "MissingAuthenticationTokenException", want: "missing Authentication Token",
			edit: func(r *http.Request) { r.Header.Del("Authorization") }},
		{name: "other scheme", wantCode: "IncompleteSignatureException", want: "AWS4-HMAC-SHA256",
			edit: func(r *http.Request) { r.Header.Set("Authorization", "Basic dXNlcjpwYXNz") }},
		{name: "bearer", edit: func(r *http.Request) { r.Header.Set("Authorization", "Bearer console-token-0123456789") }},
		{name: "unknown bearer", wantCode: "UnrecognizedClientException", want: "invalid",
			edit: func(r *http.Request) { r.Header.Set("Authorization", "bearer console-token-0123456780") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at, region, svc := tc.at, tc.region, tc.svc
			if at.IsZero() {
				at = now
			}
			if region == "" {
				region = "us-east-1"
			}
			if svc == "" {
				svc = "states"
			}
			key, secret := tc.key, tc.secret
			if key == "" {
				key, secret = "AKIDADMIN", "admin-secret"
			}
			req := signedRequest(t, key, secret, region, svc, at, body, tc.edit)
			var ctx fasthttp.RequestCtx
			req.CopyTo(&ctx.Request)
			p, aerr := a.authenticate(&ctx)
			switch {
			case tc.wantCode == "" && aerr != nil:
				t.Fatalf("refused: %v", aerr)
			case tc.wantCode == "" && p == nil:
				t.Fatal("no principal")
			case tc.wantCode != "" && aerr == nil:
				t.Fatalf("accepted as %s, want %s", p.name, tc.wantCode)
			case tc.wantCode != "" && (aerr.Code != tc.wantCode || !strings.Contains(aerr.Message, tc.want) || aerr.Status() != 400):
				t.Fatalf("got %d %v, want 400 %s containing %q", aerr.Status(), aerr, tc.wantCode, tc.want)
			}
		})
	}
}

func TestActionRole(t *testing.T) {
	for action, want := range map[string]Role{
		"DescribeExecution": RoleRead, "ListStateMachines": RoleRead, "GetExecutionHistory": RoleRead,
		"ValidateStateMachineDefinition": RoleRead, "StartExecution": RoleExecute, "StartSyncExecution": RoleExecute,
		"StopExecution": RoleExecute, "RedriveExecution": RoleExecute, "CreateStateMachine": RoleAdmin,
		"DeleteStateMachine": RoleAdmin, "TagResource": RoleAdmin, "Nonsense": RoleAdmin, "": RoleAdmin,
	} {
		if got := ActionRole([]byte(action)); got != want {
			t.Errorf("ActionRole(%q) = %s, want %s", action, got, want)
		}
	}
	for _, tc := range []struct {
		method, path string
		want         Role
	}{
		{"GET", "/v1/state-machines", RoleRead},
		{"GET", "/v1/state-machines/m", RoleRead},
		{"POST", "/v1/state-machines/m/executions", RoleExecute},
		{"PUT", "/v1/state-machines/m", RoleAdmin},
		{"DELETE", "/v1/state-machines/m", RoleAdmin},
		{"POST", "/v1/state-machines/m", RoleAdmin},
		{"GET", "/v1/tasks", RoleExecute},
		{"POST", "/v1/tasks/st1.x/success", RoleExecute},
		{"POST", "/v1/activities/review/tasks", RoleExecute},
	} {
		if got := RESTRole([]byte(tc.method), []byte(tc.path)); got != tc.want {
			t.Errorf("RESTRole(%s %s) = %s, want %s", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestAuthConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no secret", Config{Keys: []AccessKey{{AccessKeyID: "A", Role: "admin"}}}, "exactly one of secretAccessKey"},
		{"two secrets", Config{Keys: []AccessKey{{AccessKeyID: "A", SecretAccessKey: "s", SecretAccessKeyFile: "f", Role: "admin"}}}, "exactly one of secretAccessKey"},
		{"bad role", Config{Keys: []AccessKey{{AccessKeyID: "A", SecretAccessKey: "s", Role: "root"}}}, "role \"root\""},
		{"bad key id", Config{Keys: []AccessKey{{AccessKeyID: "A/B", SecretAccessKey: "s", Role: "read"}}}, "accessKeyId"},
		{"duplicate key", Config{Keys: []AccessKey{{AccessKeyID: "A", SecretAccessKey: "s", Role: "read"}, {AccessKeyID: "A", SecretAccessKey: "t", Role: "read"}}}, "twice"},
		{"short token", Config{Tokens: []BearerToken{{Token: "short", Role: "read"}}}, "16 characters"},
	} {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// FuzzParseSigV4Header feeds arbitrary Authorization headers and request
// dates to the verifier: it must answer an AWS error and never panic.
func FuzzParseSigV4Header(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDADMIN/20261121/us-east-1/states/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "20261121T083000Z")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDADMIN/20261121/us-east-1/states, SignedHeaders=host, Signature=zz", "20261121T083000Z")
	f.Add("AWS4-HMAC-SHA256 Signature=,Credential=AKIDADMIN////,SignedHeaders=;;", "")
	f.Add("Bearer console-token-0123456789", "")
	f.Add("AWS4-HMAC-SHA256 ,,,===", "99999999T999999Z")
	now := time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC)
	a := testAuth(f, now)
	f.Fuzz(func(t *testing.T, header, date string) {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.SetRequestURI("/")
		ctx.Request.Header.SetHost("127.0.0.1:8083")
		ctx.Request.Header.Set("Authorization", header)
		if date != "" {
			ctx.Request.Header.Set("X-Amz-Date", date)
		}
		ctx.Request.SetBodyString(`{}`)
		p, aerr := a.authenticate(&ctx)
		if aerr == nil && p == nil || aerr != nil && (aerr.Code == "" || aerr.Status() != 400) {
			t.Fatalf("authenticate(%q, %q) = %v, %v", header, date, p, aerr)
		}
		// Only the configured token can be accepted: no signature the
		// fuzzer writes is one a key computed. (The scheme is case
		// insensitive, and fasthttp turns a newline in a header value into
		// a space, so "BeAreR\n<token>" is the token.)
		if aerr == nil && (p.name != "console" || !strings.Contains(header, "console-token-0123456789")) {
			t.Fatalf("accepted %q as %s", header, p.name)
		}
		parseSigV4Header([]byte(header))
	})
}
