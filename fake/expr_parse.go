package fake

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Limits of the expression language.
const (
	maxExpressionBytes = 4096
	maxInOperands      = 100
	maxListIndex       = 1<<31 - 1
)

// Names of the expressions as DynamoDB spells them in its messages.
const (
	kindCondition  = "ConditionExpression"
	kindFilter     = "FilterExpression"
	kindUpdate     = "UpdateExpression"
	kindProjection = "ProjectionExpression"
)

// pathElem is one step of a document path: a map key (or top-level
// attribute name) or a list index.
type pathElem struct {
	name  string
	index int
	isIdx bool
}

// docPath is a resolved document path: placeholders already replaced by
// the names they stand for.
type docPath []pathElem

// String renders the path as DynamoDB does in overlap errors: [a, b, [0]].
func (p docPath) String() string {
	parts := make([]string, len(p))
	for i, e := range p {
		if e.isIdx {
			parts[i] = "[" + strconv.Itoa(e.index) + "]"
		} else {
			parts[i] = e.name
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (p docPath) equal(q docPath) bool {
	return len(p) == len(q) && p.hasPrefix(q)
}

func (p docPath) hasPrefix(q docPath) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// Operands. Condition expressions use pathOp, valueOp and sizeOp; update
// expressions add the SET functions and arithmetic.
type (
	operand interface{ operand() }

	pathOp  struct{ path docPath }
	valueOp struct {
		name string
		val  types.AttributeValue
	}
	sizeOp        struct{ arg operand }
	ifNotExistsOp struct {
		path docPath
		def  operand
	}
	listAppendOp struct{ a, b operand }
	arithOp      struct {
		minus bool
		a, b  operand
	}
)

func (*pathOp) operand()        {}
func (*valueOp) operand()       {}
func (*sizeOp) operand()        {}
func (*ifNotExistsOp) operand() {}
func (*listAppendOp) operand()  {}
func (*arithOp) operand()       {}

// Conditions, the boolean half of the language.
type (
	condition interface{ condition() }

	andCond     struct{ l, r condition }
	orCond      struct{ l, r condition }
	notCond     struct{ c condition }
	compareCond struct {
		op   tokenKind
		l, r operand
	}
	betweenCond struct{ v, lo, hi operand }
	inCond      struct {
		v    operand
		list []operand
	}
	funcCond struct {
		name string
		args []operand
	}
)

func (*andCond) condition()     {}
func (*orCond) condition()      {}
func (*notCond) condition()     {}
func (*compareCond) condition() {}
func (*betweenCond) condition() {}
func (*inCond) condition()      {}
func (*funcCond) condition()    {}

// updateAction is one action of an UpdateExpression. For SET, value is the
// expression to assign; for ADD and DELETE it is a *valueOp; for REMOVE it
// is nil.
type updateAction struct {
	clause string
	path   docPath
	value  operand
}

type updateExpr struct {
	actions []updateAction
}

// exprContext carries what one request's expressions share: the
// placeholder maps, and which placeholders any expression used, because
// DynamoDB rejects a request that defines a placeholder no expression uses.
type exprContext struct {
	names      map[string]string
	values     map[string]types.AttributeValue
	usedNames  map[string]bool
	usedValues map[string]bool
}

// exprError is how the parser unwinds: it panics with one and the entry
// points recover it into a ValidationException. Any other panic is a bug
// and is re-raised, so fuzzing finds it.
type exprError struct{ msg string }

type parser struct {
	// groups maps the token index of each "(" of a parenthesised
	// condition parsed so far to the index of its ")".
	groups   map[int]int
	ctx      *exprContext
	kind     string
	src      string
	toks     []token
	pos      int
	keywords []string // grammar words that cannot be attribute names here
}

var (
	conditionKeywords = []string{"AND", "OR", "NOT", "BETWEEN", "IN"}
	updateKeywords    = []string{"SET", "REMOVE", "ADD", "DELETE"}
)

func newParser(ctx *exprContext, kind, src string, keywords []string) *parser {
	p := &parser{ctx: ctx, kind: kind, src: src, keywords: keywords, groups: map[int]int{}}
	if strings.TrimSpace(src) == "" {
		p.fail("The expression can not be empty;")
	}
	if len(src) > maxExpressionBytes {
		p.fail("Expression size has exceeded the maximum allowed size; expression size: %d", len(src))
	}
	p.toks = lex(src)
	return p
}

func recoverExpr(err *error) {
	if r := recover(); r != nil {
		e, ok := r.(exprError)
		if !ok {
			panic(r)
		}
		*err = validationError("%s", e.msg)
	}
}

func (p *parser) fail(format string, args ...any) {
	panic(exprError{"Invalid " + p.kind + ": " + fmt.Sprintf(format, args...)})
}

func (p *parser) peek() token        { return p.toks[p.pos] }
func (p *parser) peekAt(n int) token { return p.toks[min(p.pos+n, len(p.toks)-1)] }
func (p *parser) next() token        { t := p.toks[p.pos]; p.pos = min(p.pos+1, len(p.toks)-1); return t }
func (p *parser) syntaxError()       { p.syntaxErrorAt(p.pos) }
func (p *parser) isKeyword(t token, kw string) bool {
	return t.kind == tokIdent && strings.EqualFold(t.text, kw)
}

// syntaxErrorAt reports the token at index i, and the text around it, in
// the form DynamoDB uses: Syntax error; token: "X", near: "a X b".
func (p *parser) syntaxErrorAt(i int) {
	t := p.toks[i]
	from := t.pos
	if i > 0 {
		from = p.toks[i-1].pos
	}
	to := len(p.src)
	if t.kind != tokEOF {
		nt := p.toks[i+1]
		to = nt.pos + len(nt.text)
		if nt.kind == tokEOF {
			to = len(p.src)
		}
	}
	p.fail("Syntax error; token: \"%s\", near: \"%s\"", t.text, p.src[from:to])
}

func (p *parser) expect(kind tokenKind) token {
	if p.peek().kind != kind {
		p.syntaxError()
	}
	return p.next()
}

func (p *parser) expectEOF() {
	if p.peek().kind != tokEOF {
		p.syntaxError()
	}
}

// parsePath reads name ( "." name | "[" index "]" )*.
func (p *parser) parsePath() docPath {
	path := docPath{{name: p.pathName()}}
	for {
		switch p.peek().kind {
		case tokDot:
			p.next()
			path = append(path, pathElem{name: p.pathName()})
		case tokLBracket:
			p.next()
			i := p.pos
			t := p.expect(tokNumber)
			n, err := strconv.Atoi(t.text)
			if err != nil || n > maxListIndex {
				p.syntaxErrorAt(i)
			}
			p.expect(tokRBracket)
			path = append(path, pathElem{index: n, isIdx: true})
		default:
			return path
		}
	}
}

func (p *parser) pathName() string {
	i := p.pos
	t := p.next()
	switch t.kind {
	case tokName:
		name, ok := p.ctx.names[t.text]
		if !ok {
			p.fail("An expression attribute name used in the document path is not defined; attribute name: %s", t.text)
		}
		p.ctx.usedNames[t.text] = true
		return name
	case tokIdent:
		for _, kw := range p.keywords {
			if strings.EqualFold(t.text, kw) {
				p.syntaxErrorAt(i)
			}
		}
		if isReserved(t.text) {
			p.fail("Attribute name is a reserved keyword; reserved keyword: %s", t.text)
		}
		return t.text
	}
	p.syntaxErrorAt(i)
	return ""
}

func (p *parser) value(t token) *valueOp {
	v, ok := p.ctx.values[t.text]
	if !ok {
		p.fail("An expression attribute value used in expression is not defined; attribute value: %s", t.text)
	}
	p.ctx.usedValues[t.text] = true
	return &valueOp{name: t.text, val: v}
}

// parseArgs reads "(" [arg {"," arg}] ")".
func (p *parser) parseArgs(arg func() operand) []operand {
	p.expect(tokLParen)
	var args []operand
	if p.peek().kind == tokRParen {
		p.next()
		return args
	}
	for {
		args = append(args, arg())
		if p.peek().kind == tokComma {
			p.next()
			continue
		}
		p.expect(tokRParen)
		return args
	}
}

func (p *parser) arity(fn string, args []operand, n int) {
	if len(args) != n {
		p.fail("Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", fn, len(args))
	}
}

func (p *parser) requirePath(fn string, o operand) docPath {
	po, ok := o.(*pathOp)
	if !ok {
		p.fail("Operator or function requires a document path; operator or function: %s", fn)
	}
	return po.path
}

func (p *parser) requireValueType(fn string, o operand, allowed ...string) {
	v, ok := o.(*valueOp)
	if !ok {
		return
	}
	t := typeName(v.val)
	for _, a := range allowed {
		if t == a {
			return
		}
	}
	p.fail("Incorrect operand type for operator or function; operator or function: %s, operand type: %s", fn, t)
}

// Conditions ----------------------------------------------------------------

var conditionFunctions = map[string]int{
	"attribute_exists":     1,
	"attribute_not_exists": 1,
	"attribute_type":       2,
	"begins_with":          2,
	"contains":             2,
}

var updateFunctions = map[string]bool{"if_not_exists": true, "list_append": true}

// parseCondition parses a ConditionExpression or FilterExpression:
//
//	condition  = and { OR and }
//	and        = not { AND not }
//	not        = NOT not | primary
//	primary    = "(" condition ")" | function | operand comparison
//	comparison = cmp operand | BETWEEN operand AND operand | IN "(" operand {"," operand} ")"
//	operand    = path | :value | size "(" path ")"
//
// Function names are case-sensitive and keywords are not, as in DynamoDB.
func parseCondition(ctx *exprContext, kind, src string) (c condition, err error) {
	defer recoverExpr(&err)
	p := newParser(ctx, kind, src, conditionKeywords)
	c = p.parseOr()
	p.expectEOF()
	return c, nil
}

func (p *parser) parseOr() condition {
	c := p.parseAnd()
	for p.isKeyword(p.peek(), "OR") {
		p.next()
		c = &orCond{c, p.parseAnd()}
	}
	return c
}

func (p *parser) parseAnd() condition {
	c := p.parseNot()
	for p.isKeyword(p.peek(), "AND") {
		p.next()
		c = &andCond{c, p.parseNot()}
	}
	return c
}

func (p *parser) parseNot() condition {
	if p.isKeyword(p.peek(), "NOT") {
		p.next()
		return &notCond{p.parseNot()}
	}
	return p.parsePrimary()
}

func (p *parser) startsComparison(t token) bool {
	switch t.kind {
	case tokEq, tokNe, tokLt, tokLe, tokGt, tokGe:
		return true
	}
	return p.isKeyword(t, "BETWEEN") || p.isKeyword(t, "IN")
}

func (p *parser) parsePrimary() condition {
	t := p.peek()
	if t.kind == tokLParen && !p.operandInParens() {
		open := p.pos
		p.next()
		c := p.parseOr()
		p.expect(tokRParen)
		// DynamoDB refuses a group whose whole content is another group,
		// "((a = :v))", but not "(a = :v)" or "((a = :v) AND b = :w)"
		// (measured on DynamoDB Local; real DynamoDB answers the same
		// message).
		if inner, ok := p.groups[open+1]; ok && inner == p.pos-2 {
			p.fail("The expression has redundant parentheses;")
		}
		p.groups[open] = p.pos - 1
		return c
	}
	if t.kind == tokIdent && p.peekAt(1).kind == tokLParen {
		if n, ok := conditionFunctions[t.text]; ok {
			p.next()
			args := p.parseArgs(p.parseCondOperand)
			p.arity(t.text, args, n)
			p.checkConditionFunction(t.text, args)
			if p.startsComparison(p.peek()) {
				p.fail("The function is not allowed to be used this way in an expression; function: %s", t.text)
			}
			return &funcCond{name: t.text, args: args}
		}
	}
	left := p.parseCondOperand()
	return p.parseComparison(left)
}

func (p *parser) checkConditionFunction(name string, args []operand) {
	switch name {
	case "attribute_exists", "attribute_not_exists":
		p.requirePath(name, args[0])
	case "attribute_type":
		p.requirePath(name, args[0])
		if v, ok := args[1].(*valueOp); ok {
			s, isS := v.val.(*types.AttributeValueMemberS)
			if !isS {
				p.fail("Incorrect operand type for operator or function; operator or function: %s, operand type: %s", name, typeName(v.val))
			}
			if !validTypeNames[s.Value] {
				p.fail("Invalid attribute type name found; type: %s, valid types: { B, NULL, SS, BOOL, L, BS, N, NS, S, M }", s.Value)
			}
		}
	case "begins_with":
		p.requireValueType(name, args[0], "S", "B")
		p.requireValueType(name, args[1], "S", "B")
	}
}

var validTypeNames = map[string]bool{
	"S": true, "N": true, "B": true, "BOOL": true, "NULL": true,
	"SS": true, "NS": true, "BS": true, "M": true, "L": true,
}

// operandInParens reports whether the "(" at hand encloses an operand,
// "(#a) = :v", which DynamoDB accepts, rather than a condition.
func (p *parser) operandInParens() bool {
	switch p.peekAt(1).kind {
	case tokName, tokValue, tokIdent:
	default:
		return false
	}
	return p.peekAt(2).kind == tokRParen && p.startsComparison(p.peekAt(3))
}

func (p *parser) parseCondOperand() operand {
	t := p.peek()
	switch t.kind {
	case tokLParen:
		p.next()
		o := p.parseCondOperand()
		p.expect(tokRParen)
		return o
	case tokValue:
		p.next()
		return p.value(t)
	case tokName:
		return &pathOp{p.parsePath()}
	case tokIdent:
		if p.peekAt(1).kind != tokLParen {
			return &pathOp{p.parsePath()}
		}
		switch {
		case t.text == "size":
			p.next()
			args := p.parseArgs(p.parseCondOperand)
			p.arity("size", args, 1)
			p.requirePath("size", args[0])
			return &sizeOp{arg: args[0]}
		case conditionFunctions[t.text] > 0:
			p.fail("The function is not allowed to be used this way in an expression; function: %s", t.text)
		case updateFunctions[t.text]:
			p.fail("The function is not allowed in a condition expression; function: %s", t.text)
		default:
			p.fail("Invalid function name; function: %s", t.text)
		}
	}
	p.syntaxError()
	return nil
}

func comparatorName(k tokenKind) string {
	return map[tokenKind]string{tokEq: "=", tokNe: "<>", tokLt: "<", tokLe: "<=", tokGt: ">", tokGe: ">="}[k]
}

func (p *parser) parseComparison(left operand) condition {
	t := p.peek()
	switch {
	case t.kind == tokEq || t.kind == tokNe || t.kind == tokLt || t.kind == tokLe || t.kind == tokGt || t.kind == tokGe:
		p.next()
		right := p.parseCondOperand()
		if t.kind != tokEq && t.kind != tokNe {
			p.requireValueType(comparatorName(t.kind), left, "S", "N", "B")
			p.requireValueType(comparatorName(t.kind), right, "S", "N", "B")
		}
		p.distinct(comparatorName(t.kind), left, right)
		return &compareCond{op: t.kind, l: left, r: right}
	case p.isKeyword(t, "BETWEEN"):
		p.next()
		lo := p.parseCondOperand()
		if !p.isKeyword(p.peek(), "AND") {
			p.syntaxError()
		}
		p.next()
		hi := p.parseCondOperand()
		for _, o := range []operand{left, lo, hi} {
			p.requireValueType("BETWEEN", o, "S", "N", "B")
		}
		p.distinct("BETWEEN", left, lo, hi)
		lv, ok1 := lo.(*valueOp)
		hv, ok2 := hi.(*valueOp)
		if ok1 && ok2 {
			if typeName(lv.val) != typeName(hv.val) {
				p.fail("The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s", describeValue(lv.val), describeValue(hv.val))
			}
			if c, ok := compareScalars(lv.val, hv.val); ok && c > 0 {
				p.fail("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s", describeValue(lv.val), describeValue(hv.val))
			}
		}
		return &betweenCond{v: left, lo: lo, hi: hi}
	case p.isKeyword(t, "IN"):
		p.next()
		list := p.parseArgs(p.parseCondOperand)
		if len(list) == 0 {
			p.syntaxErrorAt(p.pos - 1)
		}
		if len(list) > maxInOperands {
			p.fail("The IN operator is provided with too many operands; number of operands: %d", len(list))
		}
		p.distinct("IN", left, list...)
		return &inCond{v: left, list: list}
	}
	if _, ok := left.(*sizeOp); ok {
		p.fail("The function is not allowed to be used this way in an expression; function: size")
	}
	p.syntaxError()
	return nil
}

// distinct rejects comparing a path with itself, as DynamoDB does.
func (p *parser) distinct(op string, first operand, rest ...operand) {
	fp, ok := first.(*pathOp)
	if !ok {
		return
	}
	for _, o := range rest {
		if op2, ok := o.(*pathOp); ok && op2.path.equal(fp.path) {
			p.fail("The first operand must be distinct from the remaining operands for this operator or function; operator: %s, first operand: %s", op, fp.path)
		}
	}
}

// Updates -------------------------------------------------------------------

// parseUpdate parses an UpdateExpression:
//
//	update  = clause { clause }, each of SET, REMOVE, ADD, DELETE at most once
//	SET     = path "=" value {"," path "=" value}
//	value   = operand [ ("+" | "-") operand ]
//	operand = path | :value | if_not_exists "(" path "," operand ")" | list_append "(" operand "," operand ")"
//	REMOVE  = path {"," path}
//	ADD     = path :value {"," path :value}
//	DELETE  = path :value {"," path :value}
func parseUpdate(ctx *exprContext, src string) (u *updateExpr, err error) {
	defer recoverExpr(&err)
	p := newParser(ctx, kindUpdate, src, updateKeywords)
	u = &updateExpr{}
	seen := map[string]bool{}
	for p.peek().kind != tokEOF {
		i := p.pos
		t := p.next()
		clause := strings.ToUpper(t.text)
		if t.kind != tokIdent || !isClause(clause) {
			p.syntaxErrorAt(i)
		}
		if seen[clause] {
			p.fail("The \"%s\" section can only be used once in an update expression;", clause)
		}
		seen[clause] = true
		for {
			u.actions = append(u.actions, p.parseAction(clause))
			if p.peek().kind != tokComma {
				break
			}
			p.next()
		}
		if nt := p.peek(); nt.kind != tokEOF && !(nt.kind == tokIdent && isClause(strings.ToUpper(nt.text))) {
			p.syntaxError()
		}
	}
	paths := make([]docPath, len(u.actions))
	for i, a := range u.actions {
		paths[i] = a.path
	}
	p.checkOverlap(paths)
	return u, nil
}

func isClause(s string) bool {
	return s == "SET" || s == "REMOVE" || s == "ADD" || s == "DELETE"
}

func (p *parser) parseAction(clause string) updateAction {
	a := updateAction{clause: clause, path: p.parsePath()}
	switch clause {
	case "SET":
		p.expect(tokEq)
		a.value = p.parseSetValue()
	case "ADD", "DELETE":
		t := p.expect(tokValue)
		v := p.value(t)
		ok := false
		switch typeName(v.val) {
		case "SS", "NS", "BS":
			ok = true
		case "N":
			ok = clause == "ADD"
		}
		if !ok {
			p.fail("Incorrect operand type for operator or function; operator: %s, operand type: %s", clause, longTypeName(v.val))
		}
		a.value = v
	}
	return a
}

func (p *parser) parseSetValue() operand {
	a := p.parseSetOperand()
	t := p.peek()
	if t.kind != tokPlus && t.kind != tokMinus {
		return a
	}
	p.next()
	b := p.parseSetOperand()
	op := "+"
	if t.kind == tokMinus {
		op = "-"
	}
	p.requireValueType(op, a, "N")
	p.requireValueType(op, b, "N")
	return &arithOp{minus: t.kind == tokMinus, a: a, b: b}
}

func (p *parser) parseSetOperand() operand {
	t := p.peek()
	switch t.kind {
	case tokValue:
		p.next()
		return p.value(t)
	case tokName:
		return &pathOp{p.parsePath()}
	case tokIdent:
		if p.peekAt(1).kind != tokLParen {
			return &pathOp{p.parsePath()}
		}
		p.next()
		switch t.text {
		case "if_not_exists":
			args := p.parseArgs(p.parseSetOperand)
			p.arity(t.text, args, 2)
			return &ifNotExistsOp{path: p.requirePath(t.text, args[0]), def: args[1]}
		case "list_append":
			args := p.parseArgs(p.parseSetOperand)
			p.arity(t.text, args, 2)
			p.requireValueType(t.text, args[0], "L")
			p.requireValueType(t.text, args[1], "L")
			return &listAppendOp{a: args[0], b: args[1]}
		}
		if conditionFunctions[t.text] > 0 || t.text == "size" {
			p.fail("The function is not allowed in an update expression; function: %s", t.text)
		}
		p.fail("Invalid function name; function: %s", t.text)
	}
	p.syntaxError()
	return nil
}

// checkOverlap rejects two paths of which one contains the other, and two
// paths that address the same element as a map and as a list: DynamoDB
// cannot apply both, so it refuses the request.
func (p *parser) checkOverlap(paths []docPath) {
	for i := range paths {
		for j := i + 1; j < len(paths); j++ {
			a, b := paths[i], paths[j]
			if a.hasPrefix(b) || b.hasPrefix(a) {
				p.fail("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", a, b)
			}
			for k := 0; k < len(a) && k < len(b); k++ {
				if a[k] == b[k] {
					continue
				}
				if a[k].isIdx != b[k].isIdx {
					p.fail("Two document paths conflict with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", a, b)
				}
				break
			}
		}
	}
}

// Projections ---------------------------------------------------------------

// parseProjection parses path {"," path}.
func parseProjection(ctx *exprContext, src string) (paths []docPath, err error) {
	defer recoverExpr(&err)
	p := newParser(ctx, kindProjection, src, nil)
	for {
		paths = append(paths, p.parsePath())
		if p.peek().kind != tokComma {
			break
		}
		p.next()
	}
	p.expectEOF()
	p.checkOverlap(paths)
	return paths, nil
}

// Request-level checks ------------------------------------------------------

// expressions lists the expressions of one request. A nil field means the
// request did not set it.
type expressions struct {
	condition  *string
	filter     *string
	update     *string
	projection *string
}

// parsed holds the parsed forms of a request's expressions.
type parsed struct {
	condition  condition
	filter     condition
	update     *updateExpr
	projection []docPath
}

// parseRequest validates a request's placeholder maps and parses its
// expressions in the order DynamoDB reports their errors, then rejects
// placeholders no expression used.
func parseRequest(names map[string]string, values map[string]types.AttributeValue, ex expressions) (*parsed, error) {
	hasExpr := ex.condition != nil || ex.filter != nil || ex.update != nil || ex.projection != nil
	if names != nil {
		if !hasExpr {
			return nil, validationError("ExpressionAttributeNames can only be specified when using expressions")
		}
		if len(names) == 0 {
			return nil, validationError("ExpressionAttributeNames must not be empty")
		}
		clean := make(map[string]string, len(names))
		for _, k := range sortedKeys(names) {
			if !validPlaceholder(k, '#') {
				return nil, validationError("ExpressionAttributeNames contains invalid key: Syntax error; key: \"%s\"", k)
			}
			name, msg := checkName(names[k])
			if msg != "" {
				return nil, validationError("ExpressionAttributeNames contains invalid value: %s for key %s", msg, k)
			}
			clean[k] = name
		}
		names = clean
	}
	ctx := &exprContext{names: names, usedNames: map[string]bool{}, usedValues: map[string]bool{}}
	if values != nil {
		if ex.condition == nil && ex.filter == nil && ex.update == nil {
			return nil, validationError("ExpressionAttributeValues can only be specified when using expressions")
		}
		if len(values) == 0 {
			return nil, validationError("ExpressionAttributeValues must not be empty")
		}
		ctx.values = make(map[string]types.AttributeValue, len(values))
		for _, k := range sortedKeys(values) {
			if !validPlaceholder(k, ':') {
				return nil, validationError("ExpressionAttributeValues contains invalid key: Syntax error; key: \"%s\"", k)
			}
			v, msg := cleanValue(values[k])
			if msg != "" {
				return nil, validationError("ExpressionAttributeValues contains invalid value: %s for key %s", msg, k)
			}
			ctx.values[k] = v
		}
	}
	out := &parsed{}
	var err error
	if ex.update != nil {
		if out.update, err = parseUpdate(ctx, *ex.update); err != nil {
			return nil, err
		}
	}
	if ex.condition != nil {
		if out.condition, err = parseCondition(ctx, kindCondition, *ex.condition); err != nil {
			return nil, err
		}
	}
	if ex.filter != nil {
		if out.filter, err = parseCondition(ctx, kindFilter, *ex.filter); err != nil {
			return nil, err
		}
	}
	if ex.projection != nil {
		if out.projection, err = parseProjection(ctx, *ex.projection); err != nil {
			return nil, err
		}
	}
	if unused := unusedKeys(names, ctx.usedNames); unused != "" {
		return nil, validationError("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", unused)
	}
	if unused := unusedKeys(values, ctx.usedValues); unused != "" {
		return nil, validationError("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", unused)
	}
	return out, nil
}

func validPlaceholder(k string, prefix byte) bool {
	if len(k) < 2 || k[0] != prefix {
		return false
	}
	for i := 1; i < len(k); i++ {
		if !isIdentChar(k[i]) {
			return false
		}
	}
	return true
}

func unusedKeys[V any](m map[string]V, used map[string]bool) string {
	var unused []string
	for _, k := range sortedKeys(m) {
		if !used[k] {
			unused = append(unused, k)
		}
	}
	return strings.Join(unused, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
