package awsclient

import (
	"fmt"
	"net/url"
	"strings"
)

// Endpoint is where a service's requests go: a scheme, a host (with port
// when given) and a path prefix, as resolved once when the Client starts.
type Endpoint struct {
	// Scheme is "http" or "https".
	Scheme string
	// Host is the host[:port] every request to the service is sent to.
	Host string
	// Path is the base path of an overridden endpoint, without a trailing
	// '/' ("" for AWS's endpoints).
	Path string
	// Overridden reports that the endpoint came from a setting rather than
	// AWS's own: S3 then uses path-style addressing.
	Overridden bool
	// Source names the setting the endpoint came from, for logs.
	Source string
}

// URL is the endpoint as a base URL.
func (e *Endpoint) URL() string { return e.Scheme + "://" + e.Host + e.Path }

// endpointSources is what endpoint resolution reads besides the
// environment: the shared config file's settings of the active profile.
type endpointSources struct {
	// services maps a services-section key ("dynamodb") to its endpoint_url.
	services map[string]string
	// global is the profile's endpoint_url.
	global string
	// ignore is the profile's ignore_configured_endpoint_urls.
	ignore bool
}

// resolveEndpoint finds svc's endpoint in the order the AWS SDKs document:
// an explicit override, AWS_ENDPOINT_URL_<SERVICE_ID>, AWS_ENDPOINT_URL,
// the shared config file's services section of the profile, its global
// endpoint_url, and last AWS's endpoint for region. Settings are ignored
// when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's
// ignore_configured_endpoint_urls) is true.
func resolveEndpoint(svc *Service, region, override string, getenv func(string) string, src endpointSources) (Endpoint, error) {
	type candidate struct{ source, value string }
	cands := []candidate{{"override", override}}
	ignore := src.ignore
	if v := getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); v != "" {
		ignore = strings.EqualFold(v, "true")
	}
	if !ignore {
		cands = append(cands,
			candidate{"AWS_ENDPOINT_URL_" + svc.EnvID, getenv("AWS_ENDPOINT_URL_" + svc.EnvID)},
			candidate{"AWS_ENDPOINT_URL", getenv("AWS_ENDPOINT_URL")},
			candidate{"shared config services." + svc.ConfigKey + ".endpoint_url", src.services[svc.ConfigKey]},
			candidate{"shared config endpoint_url", src.global})
	}
	for _, c := range cands {
		if c.value == "" {
			continue
		}
		u, err := url.Parse(c.value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return Endpoint{}, fmt.Errorf("cannot use %s=%q as the %s endpoint: want an http:// or https:// URL with a host and no user, query or fragment", c.source, c.value, svc.SDKID)
		}
		return Endpoint{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimRight(u.EscapedPath(), "/"), Overridden: true, Source: c.source}, nil
	}
	if region == "" {
		return Endpoint{}, fmt.Errorf("cannot find the %s endpoint: no region is set and no endpoint URL is configured", svc.SDKID)
	}
	for _, r := range region {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return Endpoint{}, fmt.Errorf("cannot find the %s endpoint: %q is not a region name", svc.SDKID, region)
		}
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return Endpoint{Scheme: "https", Host: svc.EndpointPrefix + "." + region + "." + suffix, Source: "AWS " + region}, nil
}
