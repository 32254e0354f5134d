package auth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/internal/awserr"
)

// Authenticator checks every request against the configured access keys
// (AWS Signature Version 4) and bearer tokens, and the caller's role
// against what the request does. It is built once at start and is safe for
// concurrent use; a nil *Authenticator lets everything through.
type Authenticator struct {
	region string
	keys   map[string]*accessKey   // by access key id
	tokens map[[32]byte]*principal // by SHA-256 of the token, so lookups do not leak it through timing
	// now is the clock signatures are checked against; tests replace it.
	now func() time.Time
}

// principal is who a credential speaks for.
type principal struct {
	name string
	role Role
}

// accessKey is one SigV4 key. secret is "AWS4"+the secret access key, the
// first HMAC key of the derivation; derived caches the signing key of the
// latest date seen, so a verification makes one HMAC, not five.
type accessKey struct {
	principal
	secret  []byte
	derived atomic.Pointer[derivedKey]
}

type derivedKey struct {
	date [8]byte // YYYYMMDD
	key  [32]byte
}

// maxClockSkew is how far a request's date may be from the node's clock,
// as AWS allows.
const maxClockSkew = 15 * time.Minute

// The errors AWS answers for requests it cannot authenticate. AWS's JSON
// services answer them all with HTTP 400.
const (
	msgMissingToken = "Request is missing Authentication Token"
	msgUnknownKey   = "The security token included in the request is invalid."
	msgBadSignature = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// authDenials counts refused requests by AWS error code.
var authDenials = map[string]*metrics.Counter{}

func init() {
	for _, code := range []string{"MissingAuthenticationTokenException", "IncompleteSignatureException", "UnrecognizedClientException", "InvalidSignatureException", "AccessDeniedException"} {
		authDenials[code] = metrics.NewCounter(`stepd_auth_denied_total{code="` + code + `"}`)
	}
}

var (
	headerAuthorization = []byte("Authorization")
	schemeSigV4         = []byte("AWS4-HMAC-SHA256 ")
	schemeBearer        = []byte("Bearer ")
)

// authenticate finds the principal a request speaks for: a bearer token,
// or a SigV4 signature over it.
func (a *Authenticator) authenticate(ctx *fasthttp.RequestCtx) (*principal, *awserr.Error) {
	h := ctx.Request.Header.PeekBytes(headerAuthorization)
	switch {
	case len(h) == 0:
		return nil, awserr.New("MissingAuthenticationTokenException", msgMissingToken)
	case len(h) > len(schemeBearer) && bytes.EqualFold(h[:len(schemeBearer)], schemeBearer):
		p := a.tokens[sha256.Sum256(bytes.TrimSpace(h[len(schemeBearer):]))]
		if p == nil {
			return nil, awserr.New("UnrecognizedClientException", msgUnknownKey)
		}
		return p, nil
	case bytes.HasPrefix(h, schemeSigV4):
		return a.verifySigV4(&ctx.Request, h)
	}
	return nil, awserr.New("IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters of AWS4-HMAC-SHA256, or a Bearer token")
}

// sigV4Header is the parsed Authorization header of a SigV4 request; every
// field is a span of the header.
type sigV4Header struct {
	keyID, date, region, service, terminal []byte
	signedHeaders                          []byte
	signature                              []byte
}

// parseSigV4Header parses the parameters after "AWS4-HMAC-SHA256 ":
//
//	Credential=KEY/YYYYMMDD/REGION/SERVICE/aws4_request, SignedHeaders=a;b;c, Signature=HEX
//
// in any order, separated by commas and optional spaces. It returns
// IncompleteSignatureException's message when one is missing or malformed.
func parseSigV4Header(h []byte) (sigV4Header, string) {
	var s sigV4Header
	var cred []byte
	for len(h) > 0 {
		var part []byte
		part, h, _ = bytes.Cut(h, []byte(","))
		part = bytes.TrimSpace(part)
		name, value, ok := bytes.Cut(part, []byte("="))
		if !ok {
			return s, "Authorization header format is invalid: '" + string(part) + "' is not a key=value pair."
		}
		switch string(name) {
		case "Credential":
			cred = value
		case "SignedHeaders":
			s.signedHeaders = value
		case "Signature":
			s.signature = value
		}
	}
	switch {
	case cred == nil:
		return s, "Authorization header requires 'Credential' parameter."
	case s.signedHeaders == nil:
		return s, "Authorization header requires 'SignedHeaders' parameter."
	case s.signature == nil:
		return s, "Authorization header requires 'Signature' parameter."
	}
	parts := [5][]byte{}
	for i := range parts {
		if i == len(parts)-1 {
			parts[i] = cred
			break
		}
		var ok bool
		if parts[i], cred, ok = bytes.Cut(cred, []byte("/")); !ok {
			return s, "Credential should be of the form ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request."
		}
	}
	s.keyID, s.date, s.region, s.service, s.terminal = parts[0], parts[1], parts[2], parts[3], parts[4]
	return s, ""
}

// verifySigV4 checks a request signed with Signature Version 4 as AWS does:
// the credential scope (this node's region, service "states", the request's
// date), the date within 15 minutes of the node's clock, and the signature
// over the canonical request, whose payload hash is the SHA-256 of the body
// as received. It allocates nothing on success.
func (a *Authenticator) verifySigV4(req *fasthttp.Request, h []byte) (*principal, *awserr.Error) {
	sh, msg := parseSigV4Header(h[len(schemeSigV4):])
	if msg != "" {
		return nil, awserr.New("IncompleteSignatureException", "%s", msg)
	}
	key := a.keys[string(sh.keyID)]
	if key == nil {
		return nil, awserr.New("UnrecognizedClientException", msgUnknownKey)
	}
	amzDate := req.Header.PeekBytes(headerAmzDate)
	var when time.Time
	var ok bool
	if len(amzDate) > 0 {
		when, ok = parseAmzDate(amzDate)
		if !ok {
			return nil, awserr.New("IncompleteSignatureException", "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", amzDate)
		}
	} else if d := req.Header.PeekBytes(headerDate); len(d) > 0 {
		if when, ok = parseHTTPDate(d); !ok {
			return nil, awserr.New("IncompleteSignatureException", "Date must be an HTTP date (RFC 1123). Got '%s'.", d)
		}
		amzDate = when.UTC().AppendFormat(nil, amzDateLayout)
	} else {
		return nil, awserr.New("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if aerr := a.checkScope(&sh, amzDate, when); aerr != nil {
		return nil, aerr
	}
	if !signedHeaderListOK(sh.signedHeaders) {
		return nil, awserr.New("InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization, and SignedHeaders must be lower case, sorted and separated by ';'.")
	}
	var want [32]byte
	if len(sh.signature) != 64 {
		return nil, awserr.New("InvalidSignatureException", msgBadSignature)
	}
	if _, err := hex.Decode(want[:], sh.signature); err != nil {
		return nil, awserr.New("InvalidSignatureException", msgBadSignature)
	}
	sc := authScratchPool.Get().(*authScratch)
	defer authScratchPool.Put(sc)
	got := key.sign(sc, req, &sh, amzDate)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return nil, awserr.New("InvalidSignatureException", msgBadSignature)
	}
	return &key.principal, nil
}

var (
	headerAmzDate = []byte("X-Amz-Date")
	headerDate    = []byte("Date")
)

const amzDateLayout = "20060102T150405Z"

// checkScope compares the credential scope with the node and the request
// date, and the date with the node's clock, with AWS's messages.
func (a *Authenticator) checkScope(sh *sigV4Header, amzDate []byte, when time.Time) *awserr.Error {
	switch {
	case !bytes.Equal(sh.date, amzDate[:min(8, len(amzDate))]):
		return awserr.New("InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from 'X-Amz-Date'.", sh.date, amzDate[:min(8, len(amzDate))])
	case string(sh.region) != a.region:
		return awserr.New("InvalidSignatureException", "Credential should be scoped to a valid region, not '%s'. ", sh.region)
	case string(sh.service) != "states":
		return awserr.New("InvalidSignatureException", "Credential should be scoped to correct service: 'states'. ")
	case string(sh.terminal) != "aws4_request":
		return awserr.New("InvalidSignatureException", "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'. ", sh.terminal)
	}
	now := time.Now
	if a.now != nil {
		now = a.now
	}
	t := now().UTC()
	switch {
	case when.Before(t.Add(-maxClockSkew)):
		return awserr.New("InvalidSignatureException", "Signature expired: %s is now earlier than %s (%s - 15 min.)", amzDate, t.Add(-maxClockSkew).Format(amzDateLayout), t.Format(amzDateLayout))
	case when.After(t.Add(maxClockSkew)):
		return awserr.New("InvalidSignatureException", "Signature not yet current: %s is still later than %s (%s + 15 min.)", amzDate, t.Add(maxClockSkew).Format(amzDateLayout), t.Format(amzDateLayout))
	}
	return nil
}

// signedHeaderListOK reports whether SignedHeaders is a sorted list of
// distinct lower-case names that includes host, as SigV4 requires.
func signedHeaderListOK(list []byte) bool {
	host := false
	var prev []byte
	for name := range bytes.SplitSeq(list, []byte(";")) {
		if len(name) == 0 || (prev != nil && bytes.Compare(prev, name) >= 0) {
			return false
		}
		for _, c := range name {
			if c >= 'A' && c <= 'Z' || c <= ' ' || c == ':' {
				return false
			}
		}
		host = host || string(name) == "host"
		prev = name
	}
	return host
}

// parseAmzDate parses YYYYMMDD'T'HHMMSS'Z' without allocating.
func parseAmzDate(b []byte) (time.Time, bool) {
	if len(b) != 16 || b[8] != 'T' || b[15] != 'Z' {
		return time.Time{}, false
	}
	for i, c := range b {
		if i != 8 && i != 15 && (c < '0' || c > '9') {
			return time.Time{}, false
		}
	}
	num := func(from, to int) (v int) {
		for _, c := range b[from:to] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, hh, mm, ss := num(0, 4), num(4, 6), num(6, 8), num(9, 11), num(11, 13), num(13, 15)
	if mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, hh, mm, ss, 0, time.UTC), true
}

// parseHTTPDate parses a Date header (RFC 1123, as HTTP sends it).
func parseHTTPDate(b []byte) (time.Time, bool) {
	t, err := time.Parse(time.RFC1123, string(b))
	return t, err == nil
}

// authScratch holds the buffers one verification builds the canonical
// request and the HMAC inputs in.
type authScratch struct {
	canon []byte
	mac   []byte
}

var authScratchPool = sync.Pool{New: func() any { return &authScratch{canon: make([]byte, 0, 1024), mac: make([]byte, 0, 512)} }}

// sign computes the SigV4 signature of req as the client should have: the
// canonical request, the string to sign, and its HMAC under the key
// derived for the request's date.
func (k *accessKey) sign(sc *authScratch, req *fasthttp.Request, sh *sigV4Header, amzDate []byte) [32]byte {
	c := appendCanonicalRequest(sc.canon[:0], req, sh.signedHeaders)
	canonHash := sha256.Sum256(c)
	s := append(c[:0], "AWS4-HMAC-SHA256\n"...)
	s = append(s, amzDate...)
	s = append(s, '\n')
	s = append(s, sh.date...)
	s = append(s, '/')
	s = append(s, sh.region...)
	s = append(s, "/states/aws4_request\n"...)
	s = hex.AppendEncode(s, canonHash[:])
	sc.canon = s
	key := k.signingKey(sh)
	return hmacSum(&sc.mac, key[:], s)
}

// signingKey returns the key derived from the secret for the scope's date
// (region and service were checked equal to the node's), from the cache
// when the date is the latest one seen.
func (k *accessKey) signingKey(sh *sigV4Header) [32]byte {
	if d := k.derived.Load(); d != nil && bytes.Equal(d.date[:], sh.date) {
		return d.key
	}
	var buf []byte
	kDate := hmacSum(&buf, k.secret, sh.date)
	kRegion := hmacSum(&buf, kDate[:], sh.region)
	kService := hmacSum(&buf, kRegion[:], []byte("states"))
	d := &derivedKey{key: hmacSum(&buf, kService[:], []byte("aws4_request"))}
	copy(d.date[:], sh.date)
	k.derived.Store(d)
	return d.key
}

// hmacSum is HMAC-SHA256(key, msg), built on sha256.Sum256 over *buf so
// that it allocates nothing once *buf has grown. msg must not alias *buf.
func hmacSum(buf *[]byte, key, msg []byte) [32]byte {
	var block [64]byte
	if len(key) > len(block) {
		sum := sha256.Sum256(key)
		copy(block[:], sum[:])
	} else {
		copy(block[:], key)
	}
	b := (*buf)[:0]
	for _, c := range block {
		b = append(b, c^0x36)
	}
	b = append(b, msg...)
	inner := sha256.Sum256(b)
	b = b[:0]
	for _, c := range block {
		b = append(b, c^0x5c)
	}
	b = append(b, inner[:]...)
	*buf = b
	return sha256.Sum256(b)
}

// appendCanonicalRequest appends SigV4's canonical request of req:
//
//	METHOD \n URI \n QUERY \n name:value\n... \n SIGNED-HEADERS \n hex(sha256(body))
func appendCanonicalRequest(dst []byte, req *fasthttp.Request, signed []byte) []byte {
	dst = append(dst, req.Header.Method()...)
	dst = append(dst, '\n')
	dst = appendURIEncoded(dst, req.URI().Path(), false)
	dst = append(dst, '\n')
	dst = appendCanonicalQuery(dst, req.URI().QueryArgs())
	dst = append(dst, '\n')
	for name := range bytes.SplitSeq(signed, []byte(";")) {
		dst = append(dst, name...)
		dst = append(dst, ':')
		var v []byte
		if string(name) == "host" {
			v = req.Header.Host()
		} else {
			v = req.Header.PeekBytes(name)
		}
		dst = appendTrimmedValue(dst, v)
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	dst = append(dst, signed...)
	dst = append(dst, '\n')
	sum := sha256.Sum256(req.Body())
	return hex.AppendEncode(dst, sum[:])
}

// appendTrimmedValue appends a header value with leading and trailing
// spaces removed and inner runs of spaces made one, as SigV4 wants.
func appendTrimmedValue(dst, v []byte) []byte {
	v = bytes.TrimSpace(v)
	space := false
	for _, c := range v {
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space {
			dst = append(dst, ' ')
			space = false
		}
		dst = append(dst, c)
	}
	return dst
}

// appendURIEncoded appends s percent-encoded as SigV4 wants: every byte but
// the unreserved ones (and '/' in a path) as %XX in upper case.
func appendURIEncoded(dst, s []byte, encodeSlash bool) []byte {
	const hexDigits = "0123456789ABCDEF"
	for _, c := range s {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return dst
}

// appendCanonicalQuery appends the query parameters sorted by name, then
// value, each encoded. AWS's JSON API has none, so this path may allocate.
func appendCanonicalQuery(dst []byte, args *fasthttp.Args) []byte {
	if args.Len() == 0 {
		return dst
	}
	type pair struct{ k, v []byte }
	var pairs []pair
	for k, v := range args.All() {
		pairs = append(pairs, pair{appendURIEncoded(nil, k, true), appendURIEncoded(nil, v, true)})
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := bytes.Compare(a.k, b.k); c != 0 {
			return c
		}
		return bytes.Compare(a.v, b.v)
	})
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(append(append(dst, p.k...), '='), p.v...)
	}
	return dst
}

// Authorize authenticates the request of ctx and checks that its
// principal has the role need; action (the AWS API action, or nil for the
// REST API) names what was refused. It answers nil, or the refusal, which
// it counts by code; the caller writes and logs it.
func (a *Authenticator) Authorize(ctx *fasthttp.RequestCtx, need Role, action []byte) *awserr.Error {
	p, aerr := a.authenticate(ctx)
	if aerr == nil && p.role >= need {
		return nil
	}
	if aerr == nil {
		what := string(ctx.Method()) + " " + string(ctx.Path())
		if action != nil {
			what = "states:" + string(action)
		}
		aerr = awserr.New("AccessDeniedException", "User: %s is not authorized to perform: %s because its role is %s", p.name, what, p.role)
	}
	authDenials[aerr.Code].Inc()
	return aerr
}

// ActionRole is the role an AWS API action needs: read for the actions
// that only look (Describe*, List*, Get*, ValidateStateMachineDefinition),
// execute for those that run or steer executions, admin for the rest,
// including names this node does not know.
func ActionRole(action []byte) Role {
	switch string(action) {
	case "StartExecution", "StartSyncExecution", "StopExecution", "RedriveExecution", "TestState",
		"SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat", "GetActivityTask":
		return RoleExecute
	case "ValidateStateMachineDefinition":
		return RoleRead
	}
	for _, p := range [][]byte{[]byte("Describe"), []byte("List"), []byte("Get")} {
		if bytes.HasPrefix(action, p) {
			return RoleRead
		}
	}
	return RoleAdmin
}

// RESTRole is the role a REST request needs: the worker side (taking
// activity tasks, answering task tokens) and the list of waiting tasks,
// whose tokens answer them, need execute as SendTaskSuccess does; other
// GETs read, POST to …/executions runs an execution, anything else
// changes machines.
func RESTRole(method, path []byte) Role {
	switch {
	case bytes.Equal(path, []byte("/v1/tasks")) || bytes.HasPrefix(path, []byte("/v1/tasks/")) || bytes.HasPrefix(path, []byte("/v1/activities/")):
		return RoleExecute
	case string(method) == fasthttp.MethodGet || string(method) == fasthttp.MethodHead:
		return RoleRead
	case string(method) == fasthttp.MethodPost && bytes.HasSuffix(path, []byte("/executions")):
		return RoleExecute
	}
	return RoleAdmin
}
