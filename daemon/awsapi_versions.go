package daemon

import (
	"sort"
	"strconv"
	"strings"
	"time"
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

func (s *server) publishVersion(body, dst []byte) ([]byte, *apiError) {
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
	now := time.Now()
	var arn string
	err := s.reg.update(func(snap *snapshot) error {
		cur := snap.machines[m.Name]
		if cur == nil {
			return apiErr("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", req.Arn)
		}
		if req.RevisionID != "" && req.RevisionID != cur.RevisionID {
			return apiErr("ConflictException", "Failed to publish the State Machine version for revision %s. The current State Machine revision is %s.", req.RevisionID, cur.RevisionID)
		}
		for _, v := range snap.versions { // publishing an unchanged revision again returns its version
			if v.Name == cur.Name && v.RevisionID == cur.RevisionID {
				arn, now = v.Arn, v.Created
				return nil
			}
		}
		arn = publish(snap, cur, req.Description, now)
		return nil
	})
	if err != nil {
		return dst, asAPIError(err)
	}
	return encode(dst, struct {
		Created    epochTime `json:"creationDate"`
		VersionArn string    `json:"stateMachineVersionArn"`
	}{epochTime(now), arn})
}

// listRequest is the request of the actions that list what belongs to a
// state machine.
type listRequest struct {
	Arn          string `json:"stateMachineArn"`
	StatusFilter string `json:"statusFilter"`
	MaxResults   int    `json:"maxResults"`
	NextToken    string `json:"nextToken"`
}

// decodeList reads a listRequest and finds its state machine.
func (s *server) decodeList(body []byte) (listRequest, *machine, *apiError) {
	var req listRequest
	if err := decode(body, &req); err != nil {
		return req, nil, err
	}
	m, aerr := s.machineByArn(req.Arn)
	return req, m, aerr
}

func (s *server) listVersions(body, dst []byte) ([]byte, *apiError) {
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

func (s *server) deleteVersion(body, dst []byte) ([]byte, *apiError) {
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
	err := s.reg.update(func(snap *snapshot) error {
		for _, a := range snap.aliases {
			for _, rt := range a.Routing {
				if rt.VersionArn == req.Arn {
					return apiErr("ConflictException", "Version %s can not be deleted, since it is referenced by alias %s.", req.Arn, a.Arn)
				}
			}
		}
		delete(snap.versions, req.Arn) // deleting a missing version succeeds, as in AWS
		return nil
	})
	if err != nil {
		return dst, asAPIError(err)
	}
	return append(dst, "{}"...), nil
}

// checkRouting validates an alias's routing configuration: one or two
// existing versions of the machine, weights adding up to 100.
func (s *server) checkRouting(snap *snapshot, machineName string, routing []route) *apiError {
	if len(routing) == 0 || len(routing) > 2 {
		return apiErr("ValidationException", "The routing configuration must contain one or two versions")
	}
	total := 0
	for _, rt := range routing {
		v := snap.versions[rt.VersionArn]
		if v == nil || v.Name != machineName {
			return apiErr("ResourceNotFound", "Resource not found: '%s'", rt.VersionArn)
		}
		if rt.Weight < 0 || rt.Weight > 100 {
			return apiErr("ValidationException", "Routing weights must be between 0 and 100")
		}
		total += rt.Weight
	}
	if total != 100 {
		return apiErr("ValidationException", "The weights of the routing configuration must add up to 100")
	}
	return nil
}

func (s *server) createAlias(body, dst []byte) ([]byte, *apiError) {
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
		return dst, apiErr("InvalidName", "Invalid Name: '%s'", req.Name)
	}
	if len(req.Routing) == 0 {
		return dst, required("routingConfiguration", "")
	}
	machineName, _, aerr := s.id.parseMachineArn(req.Routing[0].VersionArn)
	if aerr != nil {
		return dst, aerr
	}
	now := time.Now()
	a := &alias{Arn: s.id.stateMachineArn(machineName) + ":" + req.Name, Name: req.Name, Machine: machineName,
		Description: req.Description, Routing: req.Routing, Created: now, Updated: now}
	err := s.reg.update(func(snap *snapshot) error {
		if aerr := s.checkRouting(snap, machineName, req.Routing); aerr != nil {
			return aerr
		}
		if old := snap.aliases[a.Arn]; old != nil {
			return apiErr("ConflictException", "Alias already exists: '%s'", a.Arn)
		}
		snap.aliases[a.Arn] = a
		return nil
	})
	if err != nil {
		return dst, asAPIError(err)
	}
	return encode(dst, struct {
		Arn     string    `json:"stateMachineAliasArn"`
		Created epochTime `json:"creationDate"`
	}{a.Arn, epochTime(a.Created)})
}

func (s *server) aliasByArn(arn string) (*alias, *apiError) {
	if err := required("stateMachineAliasArn", arn); err != nil {
		return nil, err
	}
	if _, _, aerr := s.id.parseMachineArn(arn); aerr != nil {
		return nil, aerr
	}
	a := s.reg.snap.Load().aliases[arn]
	if a == nil {
		return nil, apiErr("ResourceNotFound", "Resource not found: '%s'", arn)
	}
	return a, nil
}

func (s *server) describeAlias(body, dst []byte) ([]byte, *apiError) {
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

func (s *server) updateAlias(body, dst []byte) ([]byte, *apiError) {
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
		return dst, apiErr("ValidationException", "Either the description or the routing configuration must be specified")
	}
	now := time.Now()
	err := s.reg.update(func(snap *snapshot) error {
		n := *a
		if req.Routing != nil {
			if aerr := s.checkRouting(snap, a.Machine, req.Routing); aerr != nil {
				return aerr
			}
			n.Routing = req.Routing
		}
		if req.Description != nil {
			n.Description = *req.Description
		}
		n.Updated = now
		snap.aliases[n.Arn] = &n
		return nil
	})
	if err != nil {
		return dst, asAPIError(err)
	}
	return encode(dst, struct {
		Updated epochTime `json:"updateDate"`
	}{epochTime(now)})
}

func (s *server) deleteAlias(body, dst []byte) ([]byte, *apiError) {
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
	if err := s.reg.update(func(snap *snapshot) error { delete(snap.aliases, a.Arn); return nil }); err != nil {
		return dst, asAPIError(err)
	}
	return append(dst, "{}"...), nil
}

func (s *server) listAliases(body, dst []byte) ([]byte, *apiError) {
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

// maxTags is AWS's limit of tags on one resource.
const maxTags = 50

// taggable finds what a tag action's ARN names in snap: a state machine
// (returned by name) or an alias.
func (s *server) taggable(snap *snapshot, arn string) (string, *alias, *apiError) {
	if err := required("resourceArn", arn); err != nil {
		return "", nil, err
	}
	name, qualifier, aerr := s.id.parseMachineArn(arn)
	switch {
	case aerr != nil:
		return "", nil, aerr
	case qualifier == "" && snap.machines[name] != nil:
		return name, nil, nil
	case snap.aliases[arn] != nil:
		return "", snap.aliases[arn], nil
	}
	return "", nil, apiErr("ResourceNotFound", "Resource not found: '%s'", arn)
}

// withTags applies fn to the tags of the state machine or alias that arn
// names.
func (s *server) withTags(arn string, fn func([]tag) ([]tag, *apiError)) *apiError {
	err := s.reg.update(func(snap *snapshot) error {
		name, a, aerr := s.taggable(snap, arn)
		if aerr != nil {
			return aerr
		}
		if a != nil {
			c := *a
			if c.Tags, aerr = fn(a.Tags); aerr != nil {
				return aerr
			}
			snap.aliases[arn] = &c
			return nil
		}
		m := *snap.machines[name]
		if m.Tags, aerr = fn(m.Tags); aerr != nil {
			return aerr
		}
		snap.machines[name] = &m
		return nil
	})
	if err != nil {
		return asAPIError(err)
	}
	return nil
}

func (s *server) tagResource(body, dst []byte) ([]byte, *apiError) {
	var req struct {
		Arn  string `json:"resourceArn"`
		Tags []tag  `json:"tags"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	aerr := s.withTags(req.Arn, func(old []tag) ([]tag, *apiError) {
		tags := tagList(old).merge(req.Tags)
		if len(tags) > maxTags {
			return nil, apiErr("TooManyTags", "Too many tags: a resource can have at most %d", maxTags)
		}
		return tags, nil
	})
	if aerr != nil {
		return dst, aerr
	}
	return append(dst, "{}"...), nil
}

func (s *server) untagResource(body, dst []byte) ([]byte, *apiError) {
	var req struct {
		Arn  string   `json:"resourceArn"`
		Keys []string `json:"tagKeys"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	aerr := s.withTags(req.Arn, func(old []tag) ([]tag, *apiError) {
		var tags []tag
		for _, t := range old {
			keep := true
			for _, k := range req.Keys {
				keep = keep && t.Key != k
			}
			if keep {
				tags = append(tags, t)
			}
		}
		return tags, nil
	})
	if aerr != nil {
		return dst, aerr
	}
	return append(dst, "{}"...), nil
}

func (s *server) listTags(body, dst []byte) ([]byte, *apiError) {
	var req struct {
		Arn string `json:"resourceArn"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	snap := s.reg.snap.Load()
	name, a, aerr := s.taggable(snap, req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	tags := []tag{}
	if a != nil && a.Tags != nil {
		tags = a.Tags
	} else if a == nil && snap.machines[name].Tags != nil {
		tags = snap.machines[name].Tags
	}
	return encode(dst, struct {
		Tags []tag `json:"tags"`
	}{tags})
}
