package labels

import "strconv"

func parseIntStd(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }
