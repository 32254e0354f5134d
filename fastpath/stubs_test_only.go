package fastpath

// Temporary stand-ins until the choice and intrinsics branches merge.
type ChoiceRule struct{ Next int }

func (r *ChoiceRule) Eval(res Resolver, scratch []byte) (bool, []byte, error) {
	return false, scratch, nil
}
func (r *ChoiceRule) Paths() []*Path { return nil }

type Intrinsic struct{}

func ParseIntrinsic(text string) (*Intrinsic, error) { return &Intrinsic{}, nil }
func (in *Intrinsic) Paths() []*Path                 { return nil }
func (in *Intrinsic) Eval(dst []byte, r Resolver) (val, out []byte, err error) {
	return jsonNull, dst, nil
}
func ParseTimestamp(b []byte) (int64, bool) { return 0, false }

func NewComparison(variable *Path, operator string, value []byte) (*ChoiceRule, error) {
	return &ChoiceRule{}, nil
}
func NewAnd(rules []*ChoiceRule) *ChoiceRule { return &ChoiceRule{} }
func NewOr(rules []*ChoiceRule) *ChoiceRule  { return &ChoiceRule{} }
func NewNot(rule *ChoiceRule) *ChoiceRule    { return &ChoiceRule{} }
