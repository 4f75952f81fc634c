package fake

import (
	"sort"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// projNode is a tree of projected paths, so that "a.b, a.c" yields one map
// a holding b and c.
type projNode struct {
	leaf  bool
	names map[string]*projNode
	idxs  map[int]*projNode
}

func (n *projNode) add(p docPath) {
	cur := n
	for _, e := range p {
		var next *projNode
		if e.isIdx {
			if cur.idxs == nil {
				cur.idxs = map[int]*projNode{}
			}
			if next = cur.idxs[e.index]; next == nil {
				next = &projNode{}
				cur.idxs[e.index] = next
			}
		} else {
			if cur.names == nil {
				cur.names = map[string]*projNode{}
			}
			if next = cur.names[e.name]; next == nil {
				next = &projNode{}
				cur.names[e.name] = next
			}
		}
		cur = next
	}
	cur.leaf = true
}

// materialize copies the parts of v the tree selects. Selected list
// elements come back as a shorter list in index order, as DynamoDB returns
// them.
func (n *projNode) materialize(v types.AttributeValue) (types.AttributeValue, bool) {
	if n.leaf {
		return copyValue(v), true
	}
	switch x := v.(type) {
	case *types.AttributeValueMemberM:
		out := map[string]types.AttributeValue{}
		for name, c := range n.names {
			if e, ok := x.Value[name]; ok {
				if pv, ok := c.materialize(e); ok {
					out[name] = pv
				}
			}
		}
		if len(out) > 0 {
			return &types.AttributeValueMemberM{Value: out}, true
		}
	case *types.AttributeValueMemberL:
		idxs := make([]int, 0, len(n.idxs))
		for i := range n.idxs {
			idxs = append(idxs, i)
		}
		sort.Ints(idxs)
		var out []types.AttributeValue
		for _, i := range idxs {
			if i < len(x.Value) {
				if pv, ok := n.idxs[i].materialize(x.Value[i]); ok {
					out = append(out, pv)
				}
			}
		}
		if len(out) > 0 {
			return &types.AttributeValueMemberL{Value: out}, true
		}
	}
	return nil, false
}

// project returns a copy of the parts of item that paths select; an empty
// (non-nil) map when none of them exist.
func project(item map[string]types.AttributeValue, paths []docPath) map[string]types.AttributeValue {
	root := &projNode{}
	for _, p := range paths {
		root.add(p)
	}
	out := map[string]types.AttributeValue{}
	for name, c := range root.names {
		if v, ok := item[name]; ok {
			if pv, ok := c.materialize(v); ok {
				out[name] = pv
			}
		}
	}
	return out
}
