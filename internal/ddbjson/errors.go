package ddbjson

import (
	"fmt"
	"strconv"
)

// pathError reports what is wrong and where: path is the attribute path
// inside the item, such as sess.items[2].
func pathError(path, msg string) error {
	if path == "" {
		return fmt.Errorf("ddbjson: %s", msg)
	}
	return fmt.Errorf("ddbjson: %s: %s", path, msg)
}

func joinName(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func joinIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
