package lists

import "bufio"

func newNCMECReader(br *bufio.Reader, o *ReadOptions) func() (Record, error) { return nil }
