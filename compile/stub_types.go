package compile

type MachineType string

const (
	Express  MachineType = "EXPRESS"
	Standard MachineType = "STANDARD"
)
