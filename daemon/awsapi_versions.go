package daemon

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stepd/stepd/cluster"

	"github.com/stepd/stepd/internal/awserr"
)

// sortBy sorts items by a string key.
func sortBy[T any](items []T, key func(T) string) {
	sort.Slice(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
}

// Pagination tokens are the index of the next item, opaque to clients.
func makeToken(n int) string { return "p" + strconv.Itoa(n) }

func parseToken(t string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(t, "p"))
	if err == nil && (n < 0 || !strings.HasPrefix(t, "p")) {
		err = strconv.ErrSyntax
	}
	return n, err
}

func (s *server) publishVersion(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn         string `json:"stateMachineArn"`
		RevisionID  string `json:"revisionId"`
		Description string `json:"description"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	m, aerr := s.machineByArn(req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	res, aerr := s.propose(&cluster.PublishVersion{Name: m.Name, Arn: req.Arn, RevisionID: req.RevisionID, Description: req.Description, Now: time.Now()})
	if aerr != nil {
		return dst, aerr
	}
	return encode(dst, struct {
		Created    epochTime `json:"creationDate"`
		VersionArn string    `json:"stateMachineVersionArn"`
	}{epochTime(res.Date), res.VersionArn})
}

// listRequest is the request of the actions that list what belongs to a
// state machine.
type listRequest struct {
	Arn          string `json:"stateMachineArn"`
	StatusFilter string `json:"statusFilter"`
	// RedriveFilter is ListExecutions': REDRIVEN, NOT_REDRIVEN or "".
	RedriveFilter string `json:"redriveFilter"`
	MaxResults    int    `json:"maxResults"`
	NextToken     string `json:"nextToken"`
}

// decodeList reads a listRequest and finds its state machine.
func (s *server) decodeList(body []byte) (listRequest, *machine, *awserr.Error) {
	var req listRequest
	if err := decode(body, &req); err != nil {
		return req, nil, err
	}
	m, aerr := s.machineByArn(req.Arn)
	return req, m, aerr
}

func (s *server) listVersions(body, dst []byte) ([]byte, *awserr.Error) {
	req, m, aerr := s.decodeList(body)
	if aerr != nil {
		return dst, aerr
	}
	type item struct {
		Arn     string    `json:"stateMachineVersionArn"`
		Created epochTime `json:"creationDate"`
		n       int
	}
	var items []item
	for _, v := range s.reg.snap.Load().versions {
		if v.Name == m.Name {
			items = append(items, item{v.Arn, epochTime(v.Created), v.Version})
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].n > items[j].n }) // newest first, as AWS lists them
	return appendPage(dst, "stateMachineVersions", items, req.NextToken, req.MaxResults)
}

func (s *server) deleteVersion(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn string `json:"stateMachineVersionArn"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if err := required("stateMachineVersionArn", req.Arn); err != nil {
		return dst, err
	}
	if _, _, aerr := s.id.parseMachineArn(req.Arn); aerr != nil {
		return dst, aerr
	}
	if _, aerr := s.propose(&cluster.DeleteVersion{Arn: req.Arn}); aerr != nil {
		return dst, aerr
	}
	return append(dst, "{}"...), nil
}

func (s *server) createAlias(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Name        string  `json:"name"`
		Description string  `json:"description"`
		Routing     []route `json:"routingConfiguration"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if err := required("name", req.Name); err != nil {
		return dst, err
	}
	if !validName(req.Name) || strings.Trim(req.Name, "0123456789") == "" {
		return dst, awserr.InvalidName(req.Name)
	}
	if len(req.Routing) == 0 {
		return dst, required("routingConfiguration", "")
	}
	machineName, _, aerr := s.id.parseMachineArn(req.Routing[0].VersionArn)
	if aerr != nil {
		return dst, aerr
	}
	now := time.Now()
	res, aerr := s.propose(&cluster.CreateAlias{Alias: &alias{Arn: s.id.aliasArn(machineName, req.Name), Name: req.Name, Machine: machineName,
		Description: req.Description, Routing: req.Routing, Created: now, Updated: now}})
	if aerr != nil {
		return dst, aerr
	}
	return encode(dst, struct {
		Arn     string    `json:"stateMachineAliasArn"`
		Created epochTime `json:"creationDate"`
	}{res.Arn, epochTime(res.Date)})
}

func (s *server) aliasByArn(arn string) (*alias, *awserr.Error) {
	if err := required("stateMachineAliasArn", arn); err != nil {
		return nil, err
	}
	if _, _, aerr := s.id.parseMachineArn(arn); aerr != nil {
		return nil, aerr
	}
	a := s.reg.snap.Load().aliases[arn]
	if a == nil {
		return nil, awserr.ResourceNotFound(arn)
	}
	return a, nil
}

func (s *server) describeAlias(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn string `json:"stateMachineAliasArn"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	a, aerr := s.aliasByArn(req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	return encode(dst, struct {
		Arn         string    `json:"stateMachineAliasArn"`
		Name        string    `json:"name"`
		Description string    `json:"description,omitempty"`
		Routing     []route   `json:"routingConfiguration"`
		Created     epochTime `json:"creationDate"`
		Updated     epochTime `json:"updateDate"`
	}{a.Arn, a.Name, a.Description, a.Routing, epochTime(a.Created), epochTime(a.Updated)})
}

func (s *server) updateAlias(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn         string  `json:"stateMachineAliasArn"`
		Description *string `json:"description"`
		Routing     []route `json:"routingConfiguration"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	a, aerr := s.aliasByArn(req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	if req.Description == nil && req.Routing == nil {
		return dst, awserr.New("ValidationException", "Either the description or the routing configuration must be specified")
	}
	res, aerr := s.propose(&cluster.UpdateAlias{Arn: a.Arn, Description: req.Description, Routing: req.Routing, Now: time.Now()})
	if aerr != nil {
		return dst, aerr
	}
	return encode(dst, struct {
		Updated epochTime `json:"updateDate"`
	}{epochTime(res.Date)})
}

func (s *server) deleteAlias(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn string `json:"stateMachineAliasArn"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	a, aerr := s.aliasByArn(req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	if _, aerr := s.propose(&cluster.DeleteAlias{Arn: a.Arn}); aerr != nil {
		return dst, aerr
	}
	return append(dst, "{}"...), nil
}

func (s *server) listAliases(body, dst []byte) ([]byte, *awserr.Error) {
	req, m, aerr := s.decodeList(body)
	if aerr != nil {
		return dst, aerr
	}
	type item struct {
		Arn     string    `json:"stateMachineAliasArn"`
		Created epochTime `json:"creationDate"`
	}
	var items []item
	for _, a := range s.reg.snap.Load().aliases {
		if a.Machine == m.Name {
			items = append(items, item{a.Arn, epochTime(a.Created)})
		}
	}
	sortBy(items, func(i item) string { return i.Arn })
	return appendPage(dst, "stateMachineAliases", items, req.NextToken, req.MaxResults)
}
