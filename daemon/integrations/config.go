package integrations

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config is the "integrations" object of the config file: what Task
// states may reach and with which credentials. It has no flags, since it is
// structured; -lambda-endpoint and -mock-config are the flags beside it.
//
//	{"integrations": {
//	  "lambda": {"functions": {"orders": "http://127.0.0.1:9001"}, "max-conns": 256},
//	  "http": {
//	    "allow-hosts": ["api.example.com", "127.0.0.1:8080", "*.svc.local"],
//	    "connections": {"arn:aws:events:us-east-1:123456789012:connection/api/1": {
//	      "AuthorizationType": "API_KEY",
//	      "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "secret"}}}}}}}
type Config struct {
	Lambda LambdaConfig `json:"lambda"`
	HTTP   HTTPConfig   `json:"http"`
}

// LambdaConfig says where Lambda tasks go.
type LambdaConfig struct {
	// Endpoint is the base URL of an AWS Lambda Invoke API (the
	// -lambda-endpoint flag); Functions overrides it per function name.
	Endpoint  string            `json:"-"`
	Functions map[string]string `json:"functions"`
	// MaxConns bounds the connections to each endpoint, so that a hung
	// endpoint holds at most this many; callers beyond it wait for a free
	// one until their task's deadline. 0 means 512.
	MaxConns int `json:"max-conns"`
	// MaxDuration bounds a call whose task has no TimeoutSeconds and whose
	// execution has no deadline (Standard machines): 0 means Lambda's own
	// 15-minute limit.
	MaxDuration time.Duration `json:"-"`
}

// HTTPConfig governs HTTP Tasks (arn:aws:states:::http:invoke).
type HTTPConfig struct {
	// AllowHosts lists the hosts HTTP Tasks may call: "host" (any port),
	// "host:port", or "*.suffix". Empty refuses every call, since a
	// definition must not be able to reach whatever the node can.
	AllowHosts []string `json:"allow-hosts"`
	// Connections maps an EventBridge connection ARN, as the definition's
	// Authentication.ConnectionArn names it, to its credentials, in the
	// shape of EventBridge's CreateConnection.
	Connections map[string]Connection `json:"connections"`
	// MaxConns bounds the connections to each host; 0 means 512.
	MaxConns int `json:"max-conns"`
}

// Connection holds the credentials of one EventBridge connection, in the
// shape EventBridge's CreateConnection takes them.
type Connection struct {
	AuthorizationType string `json:"AuthorizationType"` // API_KEY, BASIC or OAUTH_CLIENT_CREDENTIALS
	AuthParameters    struct {
		ApiKeyAuthParameters *struct {
			ApiKeyName  string `json:"ApiKeyName"`
			ApiKeyValue string `json:"ApiKeyValue"`
		} `json:"ApiKeyAuthParameters"`
		BasicAuthParameters *struct {
			Username string `json:"Username"`
			Password string `json:"Password"`
		} `json:"BasicAuthParameters"`
		OAuthParameters *struct {
			AuthorizationEndpoint string `json:"AuthorizationEndpoint"`
			HttpMethod            string `json:"HttpMethod"`
			ClientParameters      struct {
				ClientID     string `json:"ClientID"`
				ClientSecret string `json:"ClientSecret"`
			} `json:"ClientParameters"`
			OAuthHttpParameters struct {
				BodyParameters        []connParam `json:"BodyParameters"`
				HeaderParameters      []connParam `json:"HeaderParameters"`
				QueryStringParameters []connParam `json:"QueryStringParameters"`
			} `json:"OAuthHttpParameters"`
		} `json:"OAuthParameters"`
		InvocationHttpParameters struct {
			BodyParameters        []connParam `json:"BodyParameters"`
			HeaderParameters      []connParam `json:"HeaderParameters"`
			QueryStringParameters []connParam `json:"QueryStringParameters"`
		} `json:"InvocationHttpParameters"`
	} `json:"AuthParameters"`
}

// connParam is one extra key/value a connection adds to requests.
type connParam struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// Validate reports the first setting that cannot work.
func (in *Config) Validate() error {
	check := func(what, u string) error {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("%s must be an http:// or https:// URL, not %q", what, u)
		}
		return nil
	}
	if in.Lambda.Endpoint != "" {
		if err := check("-lambda-endpoint", in.Lambda.Endpoint); err != nil {
			return err
		}
	}
	for name, u := range in.Lambda.Functions {
		if err := check("integrations.lambda.functions."+name, u); err != nil {
			return err
		}
	}
	for arn, c := range in.HTTP.Connections {
		p := &c.AuthParameters
		ok := false
		switch c.AuthorizationType {
		case "API_KEY":
			ok = p.ApiKeyAuthParameters != nil && p.ApiKeyAuthParameters.ApiKeyName != ""
		case "BASIC":
			ok = p.BasicAuthParameters != nil
		case "OAUTH_CLIENT_CREDENTIALS":
			ok = p.OAuthParameters != nil && check("", p.OAuthParameters.AuthorizationEndpoint) == nil
		}
		if !ok {
			return fmt.Errorf("integrations.http.connections[%q]: AuthorizationType must be API_KEY, BASIC or OAUTH_CLIENT_CREDENTIALS with its AuthParameters", arn)
		}
	}
	for _, h := range in.HTTP.AllowHosts {
		if h == "" || strings.ContainsAny(h, "/ ") {
			return fmt.Errorf("integrations.http.allow-hosts: %q is not a host or host:port", h)
		}
	}
	return nil
}
