package media

import "context"

// HoldBudget takes n bytes of b, as a decode would, for tests of waiting.
func HoldBudget(b *Budget, n int64) (release func()) {
	release, err := b.acquire(context.Background(), n)
	if err != nil {
		panic(err)
	}
	return release
}
