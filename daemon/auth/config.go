package auth

import (
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// Config is the "auth" object of the config file: who may call the
// API. It has no flags, since it is structured and holds secrets. With no
// keys and no tokens the API is open, which the node allows only on a
// loopback address or a Unix socket unless -allow-unauthenticated says so.
//
//	{"auth": {
//	  "keys": [{"accessKeyId": "AKIASTEPDADMIN", "secretAccessKeyFile": "admin.secret", "role": "admin"}],
//	  "tokens": [{"name": "console", "tokenFile": "/etc/stepd/console.token", "role": "read"}]}}
//
// A secret can be written inline (secretAccessKey, token) or read from a
// file (secretAccessKeyFile, tokenFile); a relative file name is looked up
// in $CREDENTIALS_DIRECTORY, where systemd's LoadCredential= puts them, or
// else in the working directory. Trailing newlines of a file are ignored.
type Config struct {
	Keys   []AccessKey   `json:"keys"`
	Tokens []BearerToken `json:"tokens"`
}

// AccessKey is one AWS access key the AWS JSON API accepts in SigV4
// signatures (and the REST API too).
type AccessKey struct {
	AccessKeyID         string `json:"accessKeyId"`
	SecretAccessKey     string `json:"secretAccessKey"`
	SecretAccessKeyFile string `json:"secretAccessKeyFile"`
	Role                string `json:"role"`
}

// BearerToken is one token that both APIs accept as
// "Authorization: Bearer <token>". Name appears in logs instead of the
// token.
type BearerToken struct {
	Name      string `json:"name"`
	Token     string `json:"token"`
	TokenFile string `json:"tokenFile"`
	Role      string `json:"role"`
}

// Enabled reports whether any credential is configured, which turns
// authentication on for the whole API except /healthz and /readyz.
func (a *Config) Enabled() bool { return len(a.Keys)+len(a.Tokens) > 0 }

// Role is what a credential may do; each includes the ones below it.
type Role uint8

const (
	RoleNone    Role = iota // no credential
	RoleRead                // Describe*, List*, Get*, ValidateStateMachineDefinition; GET on the REST API; /metrics
	RoleExecute             // read, and start, stop and redrive executions, answer task tokens
	RoleAdmin               // everything: create, update and delete machines, versions, aliases, tags
)

var roleNames = map[string]Role{"read": RoleRead, "execute": RoleExecute, "admin": RoleAdmin}

// String is the role's name in the config file.
func (r Role) String() string {
	for name, v := range roleNames {
		if v == r {
			return name
		}
	}
	return "none"
}

// Validate reports the first credential that cannot work, without reading
// secret files (the server reads them when it starts).
func (a *Config) Validate() error {
	ids := map[string]bool{}
	for i, k := range a.Keys {
		switch {
		case k.AccessKeyID == "" || strings.ContainsAny(k.AccessKeyID, "/, =\t"):
			return fmt.Errorf("auth.keys[%d]: accessKeyId %q must be non-empty, without '/', ',', '=' or spaces", i, k.AccessKeyID)
		case ids[k.AccessKeyID]:
			return fmt.Errorf("auth.keys[%d]: accessKeyId %q appears twice", i, k.AccessKeyID)
		case (k.SecretAccessKey == "") == (k.SecretAccessKeyFile == ""):
			return fmt.Errorf("auth.keys[%d] (%s): give exactly one of secretAccessKey and secretAccessKeyFile", i, k.AccessKeyID)
		case roleNames[k.Role] == RoleNone:
			return fmt.Errorf("auth.keys[%d] (%s): role %q must be read, execute or admin", i, k.AccessKeyID, k.Role)
		}
		ids[k.AccessKeyID] = true
	}
	for i, t := range a.Tokens {
		switch {
		case (t.Token == "") == (t.TokenFile == ""):
			return fmt.Errorf("auth.tokens[%d]: give exactly one of token and tokenFile", i)
		case t.Token != "" && len(t.Token) < 16:
			return fmt.Errorf("auth.tokens[%d]: a token must have at least 16 characters", i)
		case roleNames[t.Role] == RoleNone:
			return fmt.Errorf("auth.tokens[%d]: role %q must be read, execute or admin", i, t.Role)
		}
	}
	return nil
}

// readSecret returns the inline secret, or the content of file (relative
// names resolved in $CREDENTIALS_DIRECTORY when systemd sets it).
func readSecret(inline, file string, getenv func(string) string) (string, error) {
	if inline != "" {
		return inline, nil
	}
	if dir := getenv("CREDENTIALS_DIRECTORY"); dir != "" && !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("cannot read secret: %w", err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("cannot use secret file %q: it is empty", file)
	}
	return s, nil
}

// New reads the secrets of a and returns the verifier the
// server checks every request with, or nil when authentication is off.
func New(a Config, region string, getenv func(string) string) (*Authenticator, error) {
	if !a.Enabled() {
		return nil, nil
	}
	au := &Authenticator{region: region, keys: map[string]*accessKey{}, tokens: map[[32]byte]*principal{}}
	for _, k := range a.Keys {
		secret, err := readSecret(k.SecretAccessKey, k.SecretAccessKeyFile, getenv)
		if err != nil {
			return nil, fmt.Errorf("auth key %s: %w", k.AccessKeyID, err)
		}
		au.keys[k.AccessKeyID] = &accessKey{principal: principal{name: k.AccessKeyID, role: roleNames[k.Role]}, secret: []byte("AWS4" + secret)}
	}
	for i, t := range a.Tokens {
		tok, err := readSecret(t.Token, t.TokenFile, getenv)
		if err != nil {
			return nil, fmt.Errorf("auth token %d: %w", i, err)
		}
		if len(tok) < 16 {
			return nil, fmt.Errorf("auth token %d: a token must have at least 16 characters", i)
		}
		name := t.Name
		if name == "" {
			name = fmt.Sprintf("token#%d", i)
		}
		au.tokens[sha256.Sum256([]byte(tok))] = &principal{name: name, role: roleNames[t.Role]}
	}
	return au, nil
}

// IsLoopback reports whether the API address listen (host:port or
// unix:/path) can only be reached from this machine.
func IsLoopback(listen string) bool {
	if strings.HasPrefix(listen, "unix:") {
		return true
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
