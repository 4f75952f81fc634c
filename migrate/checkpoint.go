package migrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/ddbjson"
)

const checkpointVersion = 1

// checkpoint is the resumable state of a migration: where each scan
// segment stopped, and the counts so far. Scan segments are fixed by
// TotalSegments, so a checkpoint pins the number of workers.
type checkpoint struct {
	Version  int            `json:"version"`
	Job      job            `json:"job"`
	Segments []segmentState `json:"segments"`
	Report   tally          `json:"report"`
}

// job identifies a migration: a checkpoint only resumes the same job.
type job struct {
	Table       string         `json:"table"`
	KeyAttr     string         `json:"keyAttr"`
	Prefix      string         `json:"prefix"`
	DataAttr    string         `json:"dataAttr"`
	ExpiresAttr string         `json:"expiresAttr"`
	From        []codec.Format `json:"from"` // sorted; empty: every format but To
	To          codec.Format   `json:"to"`
	Schema      int            `json:"schema,omitempty"` // 0 in checkpoints written before schema versions: 1
}

// diff lists how o differs from j, one "what: j's (o's)" phrase per
// field, for a person deciding which checkpoint file belongs to which
// run; none when the jobs are the same.
func (j job) diff(o job) []string {
	var d []string
	field := func(what, mine, theirs string) {
		if mine != theirs {
			d = append(d, fmt.Sprintf("%s %q (this run: %q)", what, mine, theirs))
		}
	}
	field("table", j.Table, o.Table)
	field("key attribute", j.KeyAttr, o.KeyAttr)
	field("prefix", j.Prefix, o.Prefix)
	field("data attribute", j.DataAttr, o.DataAttr)
	field("expiry attribute", j.ExpiresAttr, o.ExpiresAttr)
	if !slices.Equal(j.From, o.From) {
		d = append(d, fmt.Sprintf("from %s (this run: %s)", formatList(j.From), formatList(o.From)))
	}
	field("to", string(j.To), string(o.To))
	if max(j.Schema, 1) != max(o.Schema, 1) {
		d = append(d, fmt.Sprintf("schema %d (this run: %d)", max(j.Schema, 1), max(o.Schema, 1)))
	}
	return d
}

// formatList names formats as a person would type them: "json,map", or
// "every other format" for none.
func formatList(fs []codec.Format) string {
	if len(fs) == 0 {
		return "every other format"
	}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return strings.Join(names, ",")
}

// segmentState is how far one scan segment got. LastKey is the
// LastEvaluatedKey of its last completed page, in DynamoDB JSON; absent
// before the first page.
type segmentState struct {
	Done    bool            `json:"done,omitempty"`
	LastKey json.RawMessage `json:"lastKey,omitempty"`
}

func (s segmentState) startKey() (map[string]types.AttributeValue, error) {
	if len(s.LastKey) == 0 {
		return nil, nil
	}
	return ddbjson.UnmarshalItem(s.LastKey)
}

func (s *segmentState) advance(lastKey map[string]types.AttributeValue) error {
	if lastKey == nil {
		s.Done, s.LastKey = true, nil
		return nil
	}
	b, err := ddbjson.MarshalItem(lastKey)
	if err != nil {
		return fmt.Errorf("migrate: checkpoint: %w", err)
	}
	s.LastKey = b
	return nil
}

func (c *checkpoint) complete() bool {
	for _, s := range c.Segments {
		if !s.Done {
			return false
		}
	}
	return true
}

// loadCheckpoint reads path, or returns nil if it does not exist.
func loadCheckpoint(path string) (*checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: reading checkpoint: %w", err)
	}
	var c checkpoint
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("migrate: checkpoint %s is damaged: %w", path, err)
	}
	if c.Version != checkpointVersion {
		return nil, fmt.Errorf("migrate: checkpoint %s has version %d, this program reads version %d", path, c.Version, checkpointVersion)
	}
	if len(c.Segments) == 0 {
		return nil, fmt.Errorf("migrate: checkpoint %s has no segments", path)
	}
	for i, s := range c.Segments {
		if _, err := s.startKey(); err != nil {
			return nil, fmt.Errorf("migrate: checkpoint %s: segment %d: %w", path, i, err)
		}
	}
	return &c, nil
}

// save writes the checkpoint atomically: to a temporary file in the same
// directory, flushed to disk, then renamed over path. A crash at any
// moment leaves either the previous checkpoint or the new one, never a
// torn file.
func (c *checkpoint) save(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("migrate: checkpoint: %w", err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+".tmp*")
	if err != nil {
		return fmt.Errorf("migrate: writing checkpoint: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("migrate: writing checkpoint: %w", err)
	}
	return nil
}
