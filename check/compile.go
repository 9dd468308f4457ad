package check

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
)

// Limits bound what one policy may cost; they are fixed when the policy
// is loaded. The static budget rejects a policy whose worst case — with
// every list, map and string of the input assumed to hold up to
// CollectionSize entries — exceeds StaticCost. Within that size the
// estimate bounds every evaluation, so it runs unmetered; on a resource
// with larger collections an iterating expression runs metered and stops,
// indeterminate, once it has spent RuntimeCost.
type Limits struct {
	StaticCost     uint64
	RuntimeCost    uint64
	CollectionSize uint64
}

// DefaultLimits are the limits Load uses unless told otherwise. With
// collections of 100 entries a rule may iterate two levels deep; the
// run-time limit leaves room for real inputs ten times larger than the
// estimate assumes.
var DefaultLimits = Limits{
	StaticCost:     1_000_000,
	RuntimeCost:    10_000_000,
	CollectionSize: 100,
}

// DefaultDeadline is how long one evaluation may run before it is
// stopped, unless Options say otherwise.
const DefaultDeadline = 100 * time.Millisecond

func (l Limits) withDefaults() Limits {
	if l.StaticCost == 0 {
		l.StaticCost = DefaultLimits.StaticCost
	}
	if l.RuntimeCost == 0 {
		l.RuntimeCost = DefaultLimits.RuntimeCost
	}
	if l.CollectionSize == 0 {
		l.CollectionSize = DefaultLimits.CollectionSize
	}
	return l
}

var (
	envOnce sync.Once
	envVal  *cel.Env
	envErr  error
)

// policyEnv returns the CEL environment every policy expression is
// compiled in. It is built once; compiled programs from it are safe for
// concurrent use.
func policyEnv() (*cel.Env, error) {
	envOnce.Do(func() {
		opts := []cel.EnvOption{
			cel.Variable("resource", cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable("meta", cel.MapType(cel.StringType, cel.DynType)),
			cel.CustomTypeAdapter(valueAdapter),
			cel.CrossTypeNumericComparisons(true),
			cel.OptionalTypes(),
			cel.DefaultUTCTimeZone(true),
			cel.ParserExpressionSizeLimit(8192),
			cel.ParserRecursionLimit(64),
			ext.Strings(),
			ext.Sets(),
			ext.Encoders(),
		}
		envVal, envErr = cel.NewEnv(append(opts, functions()...)...)
	})
	return envVal, envErr
}

// program is one compiled expression.
type program struct {
	prg cel.Program
	// bounded is true when the expression's cost does not grow with its
	// input (no comprehension), so it runs without cost tracking or a
	// deadline.
	bounded bool
	// guarded is the same program with a run-time cost limit and a
	// deadline, for an expression that iterates over a resource whose
	// collections exceed the size the static estimate assumed. Within
	// that size the estimate is a proof of the bound, and prg runs alone.
	guarded cel.Program
	cost    checker.CostEstimate
	// limits are those the program was compiled under.
	limits Limits
}

// exprError is a compile error inside an expression: its line and column
// within the expression text.
type exprError struct {
	line, column int
	msg          string
}

func (e exprError) Error() string { return e.msg }

// compileExpr type-checks text as a boolean expression, estimates its cost
// and plans the program. The AST is returned for the reads of a rule.
func compileExpr(text string, limits Limits) (*program, *cel.Ast, error) {
	env, err := policyEnv()
	if err != nil {
		return nil, nil, fmt.Errorf("policy environment: %w", err)
	}
	checked, iss := env.Compile(text)
	if iss != nil && iss.Err() != nil {
		return nil, nil, firstIssue(iss)
	}
	if t := checked.OutputType(); !t.IsExactType(types.BoolType) && !t.IsExactType(types.DynType) {
		return nil, nil, exprError{line: 1, column: 1, msg: fmt.Sprintf("the expression yields %s; expected a boolean (true when the resource complies)", t)}
	}
	est := estimator{size: limits.CollectionSize}
	cost, err := env.EstimateCost(checked, est)
	if err != nil {
		return nil, nil, fmt.Errorf("estimate cost: %w", err)
	}
	if cost.Max > limits.StaticCost {
		return nil, nil, exprError{line: 1, column: 1, msg: fmt.Sprintf("estimated worst-case cost %d exceeds the budget of %d (with collections of up to %d entries); iterate over fewer nested lists", cost.Max, limits.StaticCost, limits.CollectionSize)}
	}
	p := &program{bounded: !hasComprehension(checked.NativeRep().Expr()), cost: cost, limits: limits}
	p.prg, err = env.Program(checked, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, nil, fmt.Errorf("plan: %w", err)
	}
	if !p.bounded {
		p.guarded, err = env.Program(checked, cel.EvalOptions(cel.OptOptimize),
			cel.CostLimit(limits.RuntimeCost),
			cel.CostTracking(est),
			cel.InterruptCheckFrequency(64))
		if err != nil {
			return nil, nil, fmt.Errorf("plan: %w", err)
		}
	}
	return p, checked, nil
}

func firstIssue(iss *cel.Issues) error {
	errs := iss.Errors()
	if len(errs) == 0 {
		return iss.Err()
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Message)
	}
	loc := errs[0].Location
	return exprError{line: loc.Line(), column: loc.Column() + 1, msg: strings.Join(msgs, "; ")}
}

func hasComprehension(e ast.Expr) bool {
	found := false
	visit := ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() == ast.ComprehensionKind {
			found = true
		}
	})
	ast.PostOrderVisit(e, visit)
	return found
}

// estimator gives CEL's cost estimate the sizes it cannot know — every
// list, map and string of the input holds up to size entries — and the
// cost of the policy functions.
type estimator struct{ size uint64 }

// EstimateSize implements checker.CostEstimator.
func (e estimator) EstimateSize(checker.AstNode) *checker.SizeEstimate {
	return &checker.SizeEstimate{Min: 0, Max: e.size}
}

// EstimateCallCost implements checker.CostEstimator.
func (e estimator) EstimateCallCost(_, overload string, _ *checker.AstNode, _ []checker.AstNode) *checker.CallEstimate {
	switch overload {
	case "demarc_get", "demarc_get_default", "demarc_is_set", "demarc_pod_spec":
		return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: 10}}
	case "demarc_values", "demarc_containers":
		return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: e.size}, ResultSize: &checker.SizeEstimate{Min: 0, Max: e.size}}
	case "demarc_related", "demarc_related_of":
		return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: relatedSize}, ResultSize: &checker.SizeEstimate{Min: 0, Max: relatedSize}}
	case "demarc_value_or":
		return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: 1}}
	case "demarc_parse_json":
		return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: e.size * 10}}
	case "demarc_is_true", "demarc_is_false", "demarc_is_empty", "demarc_is_open_cidr", "demarc_covers_port":
		return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: 1}}
	}
	return nil
}

// CallCost implements interpreter.ActualCostEstimator: the policy
// functions cost what they touch.
func (e estimator) CallCost(_, overload string, args []ref.Val, result ref.Val) *uint64 {
	var c uint64 = 1
	switch overload {
	case "demarc_values", "demarc_containers", "demarc_related", "demarc_related_of":
		if s, ok := result.(interface{ Size() ref.Val }); ok {
			if n, isInt := s.Size().(types.Int); isInt {
				c += uint64(n)
			}
		}
	case "demarc_parse_json":
		if len(args) > 0 {
			if s, ok := args[0].(types.String); ok {
				c += uint64(len(s)) / 10
			}
		}
	case "demarc_get", "demarc_get_default", "demarc_is_set", "demarc_pod_spec":
		c = 5
	default:
		return nil
	}
	return &c
}

// errNoConversion is returned when the evaluation context is asked to
// become a Go value.
var errNoConversion = errors.New("the evaluation context has no Go form")
