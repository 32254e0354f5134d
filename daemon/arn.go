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
	rest, ok := cutMachinePrefix(arn, id)
	if !ok || rest == "" {
		return "", "", awserr.New("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", arn)
	}
	name, qualifier, _ = strings.Cut(rest, ":")
	return name, qualifier, nil
}

// cutMachinePrefix cuts "arn:aws:states:<region>:<account>:stateMachine:"
// from arn without building that prefix.
func cutMachinePrefix(arn string, id *identity) (string, bool) {
	for _, part := range [...]string{"arn:aws:states:", id.region, ":", id.account, ":stateMachine:"} {
		var ok bool
		if arn, ok = strings.CutPrefix(arn, part); !ok {
			return "", false
		}
	}
	return arn, true
}
