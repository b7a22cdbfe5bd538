package lists

import "bufio"

func newTCAPReader(br *bufio.Reader, o *ReadOptions) func() (Record, error)     { return nil }
func newNCMECReader(br *bufio.Reader, o *ReadOptions) func() (Record, error)    { return nil }
func newStopNCIIReader(br *bufio.Reader, o *ReadOptions) func() (Record, error) { return nil }
