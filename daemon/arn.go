package daemon

import (
	"flag"
	"strings"

	"github.com/stepd/stepd/internal/awserr"
)

// The one place ARNs are minted and parsed.

// identity is where executions pretend to run: the region and account of
// their ARNs.
type identity struct {
	region, account string
}

func (id *identity) register(fs *flag.FlagSet) {
	fs.StringVar(&id.region, "region", "us-east-1", "AWS region named in ARNs")
	fs.StringVar(&id.account, "account", "123456789012", "AWS account id named in ARNs")
}

// stateMachineArn is the ARN of the state machine called name.
func (id *identity) stateMachineArn(name string) string {
	return "arn:aws:states:" + id.region + ":" + id.account + ":stateMachine:" + name
}

// executionArn returns the ARN of an execution; Express executions have
// their own shape, with a run id after the name.
func (id *identity) executionArn(machine, name string, express bool) string {
	return string(id.appendExecutionArn(nil, machine, name, express))
}

// appendExecutionArn appends the ARN executionArn returns.
func (id *identity) appendExecutionArn(dst []byte, machine, name string, express bool) []byte {
	dst = append(dst, "arn:aws:states:"...)
	dst = append(dst, id.region...)
	dst = append(dst, ':')
	dst = append(dst, id.account...)
	if express {
		dst = append(dst, ":express:"...)
	} else {
		dst = append(dst, ":execution:"...)
	}
	dst = append(dst, machine...)
	dst = append(dst, ':')
	dst = append(dst, name...)
	if express {
		dst = append(dst, ':')
		dst = newID(dst)
	}
	return dst
}

// aliasArn is the ARN of the alias called alias of the machine called
// machine.
func (id *identity) aliasArn(machine, alias string) string {
	return id.stateMachineArn(machine) + ":" + alias
}

// defaultRoleArn is the role ARN of machines created without one (by the
// REST API and `stepd run`).
func (id *identity) defaultRoleArn() string {
	return "arn:aws:iam::" + id.account + ":role/stepd"
}

// parseMachineArn splits a state machine, version or alias ARN into the
// machine's name and the qualifier after it ("" for the machine itself).
func (id *identity) parseMachineArn(arn string) (name, qualifier string, err *awserr.Error) {
	rest, ok := cutResourcePrefix(arn, id, ":stateMachine:")
	if !ok || rest == "" {
		return "", "", id.invalidArn(arn)
	}
	name, qualifier, _ = strings.Cut(rest, ":")
	return name, qualifier, nil
}

// invalidArn is the InvalidArn answer for arn, which does not name a
// state machine here: AWS's message, or, for an ARN of another region or
// account, one that says so (the usual mistake: a client configured for
// another region, or a node started without its -region or -account).
func (id *identity) invalidArn(arn string) *awserr.Error {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && parts[2] == "states" {
		switch region, account := parts[3], parts[4]; {
		case region != id.region:
			return awserr.New("InvalidArn", "Invalid Arn: '%s': the ARN is of region %s, and this node serves region %s (-region)", arn, region, id.region)
		case account != id.account:
			return awserr.New("InvalidArn", "Invalid Arn: '%s': the ARN is of account %s, and this node serves account %s (-account)", arn, account, id.account)
		}
	}
	return awserr.New("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", arn)
}

// checkRoleArn checks a state machine's roleArn as AWS does: at most 256
// characters, and the ARN of an IAM role,
// arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME.
func checkRoleArn(arn string) *awserr.Error {
	if len(arn) > 256 {
		return awserr.New("ValidationException", "1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 256", arn)
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "iam" || parts[3] != "" ||
		len(parts[4]) != 12 || strings.Trim(parts[4], "0123456789") != "" || !validRoleName(parts[5]) {
		return awserr.New("InvalidArn", "Invalid Role Arn: '%s'", arn)
	}
	return nil
}

// validRoleName reports whether s is role/[PATH/]NAME with IAM's
// characters: a name of 1 to 64 of [A-Za-z0-9+=,.@_-], a path of those
// and slashes.
func validRoleName(s string) bool {
	rest, ok := strings.CutPrefix(s, "role/")
	if !ok {
		return false
	}
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("+=,.@_-/", c) >= 0) {
			return false
		}
	}
	return true
}

// cutResourcePrefix cuts "arn:aws:states:<region>:<account>" and then
// kind (":stateMachine:", ":activity:") from arn without building that
// prefix.
func cutResourcePrefix(arn string, id *identity, kind string) (string, bool) {
	for _, part := range [...]string{"arn:aws:states:", id.region, ":", id.account, kind} {
		var ok bool
		if arn, ok = strings.CutPrefix(arn, part); !ok {
			return "", false
		}
	}
	return arn, true
}

// activityArn is the ARN of the activity called name.
func (id *identity) activityArn(name string) string {
	return "arn:aws:states:" + id.region + ":" + id.account + ":activity:" + name
}

// parseActivityArn returns the name of the activity arn names, answering
// AWS's InvalidArn for anything that is not an activity ARN of this
// region and account.
func (id *identity) parseActivityArn(arn string) (string, *awserr.Error) {
	name, ok := cutResourcePrefix(arn, id, ":activity:")
	if !ok || name == "" || strings.Contains(name, ":") {
		return "", awserr.New("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", arn)
	}
	return name, nil
}

// parseMapRunArn checks that arn names a Map Run here,
// mapRun:<machine>/<label>:<id>, answering AWS's InvalidArn otherwise.
func (id *identity) parseMapRunArn(arn string) *awserr.Error {
	rest, ok := cutResourcePrefix(arn, id, ":mapRun:")
	machine, label, _ := strings.Cut(rest, "/")
	if !ok || machine == "" || !strings.Contains(label, ":") {
		return id.invalidArn(arn)
	}
	return nil
}
