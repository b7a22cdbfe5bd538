// Package pipeline runs the slow, independent part of a sequence of jobs
// on a worker goroutine, ahead of the caller, while the caller produces
// the jobs and consumes the results in order: how an import decodes
// entries while it writes the ones before, and an export encodes records
// while it reads the next.
//
// The caller's goroutine does everything that must stay on it (reading
// a bbolt transaction, writing), the worker only what needs nothing but
// the job itself.
package pipeline

import "sync/atomic"

// An Ordered pipeline hands batches of jobs from a source to a worker
// goroutine and back, in the order the source yielded them. At most depth
// batches are in flight, so its memory is bounded by depth × batch jobs.
// It is not safe for concurrent use: one goroutine calls Next and Close.
type Ordered[T any] struct {
	next  func() (T, bool)
	size  int
	work  chan []T
	done  chan []T
	quit  atomic.Bool
	ended chan struct{}

	inflight int
	more     bool
}

// New starts an ordered pipeline. next, called on the caller's goroutine
// (inside [Ordered.Next]), yields the jobs, and false once there are no
// more; work, on the worker goroutine, does the independent part of a
// batch of them in place. batch and depth below 1 count as 1. Close must
// be called to stop the worker.
func New[T any](batch, depth int, next func() (T, bool), work func(batch []T)) *Ordered[T] {
	batch, depth = max(batch, 1), max(depth, 1)
	p := &Ordered[T]{
		next:  next,
		size:  batch,
		work:  make(chan []T, depth),
		done:  make(chan []T, depth),
		ended: make(chan struct{}),
		more:  true,
	}
	go func() {
		defer close(p.ended)
		for b := range p.work {
			if !p.quit.Load() {
				work(b)
			}
			p.done <- b // never blocks: at most depth batches are in flight
		}
	}()
	return p
}

// Next returns the next batch of jobs, worked, or nil at the end. The
// batch is the caller's until it calls Next again.
func (p *Ordered[T]) Next() []T {
	for p.more && p.inflight < cap(p.work) {
		p.fill()
	}
	if p.inflight == 0 {
		return nil
	}
	b := <-p.done
	p.inflight--
	return b
}

// fill reads one batch from the source and hands it to the worker.
func (p *Ordered[T]) fill() {
	b := make([]T, 0, p.size)
	for p.more && len(b) < cap(b) {
		j, ok := p.next()
		if p.more = ok; ok {
			b = append(b, j)
		}
	}
	if len(b) > 0 {
		p.work <- b
		p.inflight++
	}
}

// Close stops the worker, skipping what it has not begun, and waits for
// it to end. It is safe to call more than once.
func (p *Ordered[T]) Close() {
	if p.quit.Swap(true) {
		return
	}
	close(p.work)
	<-p.ended
}
