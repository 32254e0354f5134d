// Package awsclient calls AWS services the way the AWS SDKs do, for the
// Task integrations of stepd: it finds each service's endpoint as the SDKs
// find it (AWS_ENDPOINT_URL_<SERVICE_ID>, AWS_ENDPOINT_URL, the shared
// config file's services sections, then AWS's endpoint for the region),
// takes credentials from the SDK's default chain, signs requests with
// Signature Version 4 and speaks the wire protocols of the services it
// knows (query, JSON 1.0/1.1, REST-JSON, REST-XML).
//
// It is a leaf: it imports no stepd package. A request only ever goes to
// the endpoint resolved for its service (for S3 on AWS, to a bucket's
// virtual host under it), so a definition cannot aim a call elsewhere;
// credentials are never part of an error's text.
package awsclient
