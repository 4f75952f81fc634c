package fake

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The fake parses the part of DynamoDB's expression language that
// dynamosession and tests of code built on it send (see the package
// documentation), and names the rest as not implemented instead of
// misreading it:
//
//	condition  = and { OR and }
//	and        = not { AND not }
//	not        = NOT not | primary
//	primary    = "(" condition ")" | exists "(" name ")" | operand cmp operand
//	exists     = attribute_exists | attribute_not_exists
//	operand    = name | :value | "(" operand ")"
//	cmp        = "=" | "<>" | "<" | "<=" | ">" | ">="
//	update     = [ SET name "=" operand {"," name "=" operand} ] [ REMOVE name {"," name} ]
//	projection = name {"," name}
//	key        = name "=" :value, the partition key (a KeyConditionExpression)
//	name       = #placeholder, standing for a top-level attribute
//
// Keywords are case-insensitive, function names are not, as in DynamoDB.

// Limits of the expression language.
const maxExpressionBytes = 4096

// Names of the expressions as DynamoDB spells them in its messages.
const (
	kindCondition  = "ConditionExpression"
	kindUpdate     = "UpdateExpression"
	kindProjection = "ProjectionExpression"
	kindKey        = "KeyConditionExpression"
)

// Operands: an attribute (by its resolved name) or a value.
type (
	operand interface{ operand() }

	attrOp  struct{ name string }
	valueOp struct {
		name string
		val  types.AttributeValue
	}
)

func (*attrOp) operand()  {}
func (*valueOp) operand() {}

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
	existsCond struct {
		name string
		not  bool // attribute_not_exists
	}
)

func (*andCond) condition()     {}
func (*orCond) condition()      {}
func (*notCond) condition()     {}
func (*compareCond) condition() {}
func (*existsCond) condition()  {}

// updateExpr is a parsed UpdateExpression: the SET actions in order, and
// the attributes to REMOVE.
type updateExpr struct {
	set    []setAction
	remove []string
}

type setAction struct {
	name  string
	value operand
}

// names returns every attribute the update writes or removes.
func (u *updateExpr) names() []string {
	out := make([]string, 0, len(u.set)+len(u.remove))
	for _, a := range u.set {
		out = append(out, a.name)
	}
	return append(out, u.remove...)
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
// points recover it into a ValidationException, or into an error wrapping
// ErrNotImplemented when the expression is valid DynamoDB the fake does not
// implement. Any other panic is a bug and is re-raised, so fuzzing finds
// it.
type exprError struct {
	msg            string
	notImplemented bool
}

type parser struct {
	ctx  *exprContext
	kind string
	src  string
	toks []token
	pos  int
	// groups maps the token index of each "(" of a parenthesised
	// condition parsed so far to the index of its ")".
	groups   map[int]int
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
		if e.notImplemented {
			*err = notImplemented("%s", e.msg)
			return
		}
		*err = validationError("%s", e.msg)
	}
}

func (p *parser) fail(format string, args ...any) {
	panic(exprError{msg: "Invalid " + p.kind + ": " + fmt.Sprintf(format, args...)})
}

// unsupported stops at valid DynamoDB that the fake does not implement.
func (p *parser) unsupported(format string, args ...any) {
	panic(exprError{msg: fmt.Sprintf(format, args...) + " in " + p.kind, notImplemented: true})
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

// parseName reads an attribute name placeholder and returns the name it
// stands for. Nested document paths and bare names are valid DynamoDB the
// fake does not implement.
func (p *parser) parseName() string {
	i := p.pos
	t := p.next()
	var name string
	switch t.kind {
	case tokName:
		v, ok := p.ctx.names[t.text]
		if !ok {
			p.fail("An expression attribute name used in the document path is not defined; attribute name: %s", t.text)
		}
		p.ctx.usedNames[t.text] = true
		name = v
	case tokIdent:
		for _, kw := range p.keywords {
			if strings.EqualFold(t.text, kw) {
				p.syntaxErrorAt(i)
			}
		}
		p.unsupported("the attribute name %q written bare (use an ExpressionAttributeNames placeholder such as #%s)", t.text, t.text)
	default:
		p.syntaxErrorAt(i)
	}
	if k := p.peek().kind; k == tokDot || k == tokLBracket {
		p.unsupported("nested document paths (%s%s…; only top-level attributes are)", t.text, p.peek().text)
	}
	return name
}

func (p *parser) value(t token) *valueOp {
	v, ok := p.ctx.values[t.text]
	if !ok {
		p.fail("An expression attribute value used in expression is not defined; attribute value: %s", t.text)
	}
	p.ctx.usedValues[t.text] = true
	return &valueOp{name: t.text, val: v}
}

// parseOperand reads name | :value | "(" operand ")".
func (p *parser) parseOperand() operand {
	t := p.peek()
	switch t.kind {
	case tokLParen:
		p.next()
		o := p.parseOperand()
		p.expect(tokRParen)
		return o
	case tokValue:
		p.next()
		return p.value(t)
	case tokIdent:
		if p.peekAt(1).kind == tokLParen {
			p.function(t.text)
		}
	}
	return &attrOp{p.parseName()}
}

// function handles a function call where the grammar has no place for
// it: DynamoDB's own functions are named as not implemented or misplaced,
// anything else is not a function.
func (p *parser) function(name string) {
	switch name {
	case "attribute_exists", "attribute_not_exists":
		p.fail("The function is not allowed to be used this way in an expression; function: %s", name)
	case "attribute_type", "begins_with", "contains", "size", "if_not_exists", "list_append":
		p.unsupported("the function %s", name)
	}
	p.fail("Invalid function name; function: %s", name)
}

// Conditions ----------------------------------------------------------------

// parseCondition parses a ConditionExpression.
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

func isComparator(k tokenKind) bool {
	switch k {
	case tokEq, tokNe, tokLt, tokLe, tokGt, tokGe:
		return true
	}
	return false
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
	if t.kind == tokIdent && p.peekAt(1).kind == tokLParen && (t.text == "attribute_exists" || t.text == "attribute_not_exists") {
		p.next()
		p.next()
		if k := p.peek().kind; k != tokName && k != tokIdent {
			p.fail("Operator or function requires a document path; operator or function: %s", t.text)
		}
		c := &existsCond{name: p.parseName(), not: t.text == "attribute_not_exists"}
		if p.peek().kind == tokComma {
			p.fail("Incorrect number of operands for operator or function; operator or function: %s, number of operands: 2", t.text)
		}
		p.expect(tokRParen)
		if isComparator(p.peek().kind) {
			p.fail("The function is not allowed to be used this way in an expression; function: %s", t.text)
		}
		return c
	}
	left := p.parseOperand()
	return p.parseComparison(left)
}

// operandInParens reports whether the "(" at hand encloses an operand,
// "(#a) = :v", which DynamoDB accepts, rather than a condition.
func (p *parser) operandInParens() bool {
	switch p.peekAt(1).kind {
	case tokName, tokValue:
	default:
		return false
	}
	return p.peekAt(2).kind == tokRParen && isComparator(p.peekAt(3).kind)
}

var comparatorNames = map[tokenKind]string{tokEq: "=", tokNe: "<>", tokLt: "<", tokLe: "<=", tokGt: ">", tokGe: ">="}

func (p *parser) parseComparison(left operand) condition {
	t := p.peek()
	switch {
	case isComparator(t.kind):
		p.next()
		right := p.parseOperand()
		if t.kind != tokEq && t.kind != tokNe {
			p.requireScalar(comparatorNames[t.kind], left)
			p.requireScalar(comparatorNames[t.kind], right)
		}
		if a, ok := left.(*attrOp); ok {
			if b, ok := right.(*attrOp); ok && a.name == b.name {
				p.fail("The first operand must be distinct from the remaining operands for this operator or function; operator: %s, first operand: [%s]", comparatorNames[t.kind], a.name)
			}
		}
		return &compareCond{op: t.kind, l: left, r: right}
	case p.isKeyword(t, "BETWEEN") || p.isKeyword(t, "IN"):
		p.unsupported("the %s operator", strings.ToUpper(t.text))
	}
	p.syntaxError()
	return nil
}

// requireScalar refuses a value that an ordering comparison cannot take:
// DynamoDB orders strings, numbers and binaries only.
func (p *parser) requireScalar(op string, o operand) {
	v, ok := o.(*valueOp)
	if !ok {
		return
	}
	switch t := typeName(v.val); t {
	case "S", "N", "B":
	default:
		p.fail("Incorrect operand type for operator or function; operator or function: %s, operand type: %s", op, t)
	}
}

// Updates -------------------------------------------------------------------

// parseUpdate parses an UpdateExpression: each of SET and REMOVE at most
// once, in either order.
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
		if clause == "ADD" || clause == "DELETE" {
			p.unsupported("the %s clause", clause)
		}
		for {
			name := p.parseName()
			if clause == "SET" {
				p.expect(tokEq)
				u.set = append(u.set, setAction{name: name, value: p.parseSetValue()})
			} else {
				u.remove = append(u.remove, name)
			}
			if p.peek().kind != tokComma {
				break
			}
			p.next()
		}
		if nt := p.peek(); nt.kind != tokEOF && !(nt.kind == tokIdent && isClause(strings.ToUpper(nt.text))) {
			p.syntaxError()
		}
	}
	names := u.names()
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if names[i] == names[j] {
				p.fail("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [%s], path two: [%s]", names[i], names[j])
			}
		}
	}
	return u, nil
}

func isClause(s string) bool {
	return s == "SET" || s == "REMOVE" || s == "ADD" || s == "DELETE"
}

func (p *parser) parseSetValue() operand {
	t := p.peek()
	if t.kind == tokIdent && p.peekAt(1).kind == tokLParen {
		switch t.text {
		case "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains", "size":
			p.fail("The function is not allowed in an update expression; function: %s", t.text)
		}
		p.function(t.text)
	}
	var v operand
	if t.kind == tokValue {
		p.next()
		v = p.value(t)
	} else {
		v = &attrOp{p.parseName()}
	}
	if k := p.peek().kind; k == tokPlus || k == tokMinus {
		p.unsupported("arithmetic (%s)", p.peek().text)
	}
	return v
}

// Projections ---------------------------------------------------------------

// parseProjection parses name {"," name}: the attributes a read returns.
func parseProjection(ctx *exprContext, src string) (names []string, err error) {
	defer recoverExpr(&err)
	p := newParser(ctx, kindProjection, src, nil)
	for {
		name := p.parseName()
		for _, seen := range names {
			if seen == name {
				p.fail("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [%s], path two: [%s]", name, name)
			}
		}
		names = append(names, name)
		if p.peek().kind != tokComma {
			break
		}
		p.next()
	}
	p.expectEOF()
	return names, nil
}

// project returns a copy of the attributes of item that names select: an
// empty map, not nil, when it has none of them, as DynamoDB returns it.
func project(item map[string]types.AttributeValue, names []string) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(names))
	for _, name := range names {
		if v, ok := item[name]; ok {
			out[name] = copyValue(v)
		}
	}
	return out
}

// Key conditions ------------------------------------------------------------

// keyTerm is one comparison of a KeyConditionExpression, as written.
type keyTerm struct {
	op    tokenKind
	name  string
	value types.AttributeValue
}

// parseKeyCondition parses a KeyConditionExpression into its terms: one,
// or two joined by AND. Which attribute each term must name is checked
// against the table or index queried.
func parseKeyCondition(ctx *exprContext, src string) (terms []keyTerm, err error) {
	defer recoverExpr(&err)
	p := newParser(ctx, kindKey, src, conditionKeywords)
	c := p.parseOr()
	p.expectEOF()
	var collect func(c condition)
	collect = func(c condition) {
		switch c := c.(type) {
		case *andCond:
			collect(c.l)
			collect(c.r)
		case *orCond:
			p.failBare("Invalid operator used in KeyConditionExpression: OR")
		case *notCond:
			p.failBare("Invalid operator used in KeyConditionExpression: NOT")
		case *existsCond:
			fn := "attribute_exists"
			if c.not {
				fn = "attribute_not_exists"
			}
			p.failBare("Invalid operator used in KeyConditionExpression: " + fn)
		case *compareCond:
			a, aok := c.l.(*attrOp)
			v, vok := c.r.(*valueOp)
			if !aok || !vok { // ":v = #k" says the same
				a, aok = c.r.(*attrOp)
				v, vok = c.l.(*valueOp)
			}
			if !aok || !vok {
				p.failBare("Invalid condition in KeyConditionExpression: a key condition compares one key attribute with one value")
			}
			terms = append(terms, keyTerm{op: c.op, name: a.name, value: v.val})
		}
	}
	collect(c)
	if len(terms) > 2 {
		p.failBare("Conditions can be of length 1 or 2 only")
	}
	return terms, nil
}

// failBare is fail without the "Invalid <expression>: " prefix, for the
// messages DynamoDB words on their own.
func (p *parser) failBare(msg string) {
	panic(exprError{msg: msg})
}

// Request-level checks ------------------------------------------------------

// expressions lists the expressions of one request. A nil field means the
// request did not set it.
type expressions struct {
	condition  *string
	update     *string
	key        *string
	projection *string
}

// parsed holds the parsed forms of a request's expressions.
type parsed struct {
	condition  condition
	update     *updateExpr
	key        []keyTerm
	projection []string
}

// parseRequest validates a request's placeholder maps and parses its
// expressions in the order DynamoDB reports their errors, then rejects
// placeholders no expression used.
func parseRequest(names map[string]string, values map[string]types.AttributeValue, ex expressions) (*parsed, error) {
	takesValues := ex.condition != nil || ex.update != nil || ex.key != nil
	hasExpr := takesValues || ex.projection != nil
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
		if !takesValues {
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
	if ex.key != nil {
		if out.key, err = parseKeyCondition(ctx, *ex.key); err != nil {
			return nil, err
		}
	}
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
