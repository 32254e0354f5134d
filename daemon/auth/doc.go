// Package auth authenticates the API's requests (AWS Signature Version 4
// and bearer tokens) and checks the caller's role against what a request
// does. The daemon builds one Authenticator from the config file's "auth"
// object and asks it about every request except the open paths.
package auth
