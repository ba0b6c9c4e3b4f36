package browserusetest

import "slices"

// requestLog holds what [Server.Requests] returns: every request, or the
// last max once [Server.SetRequestLog] bounds it.
type requestLog struct {
	max  int       // < 0: no bound
	reqs []Request // a ring once bounded and full: the oldest at head
	head int
}

func (l *requestLog) add(r Request) {
	switch {
	case l.max < 0 || len(l.reqs) < l.max:
		l.reqs = append(l.reqs, r)
	case l.max > 0:
		l.reqs[l.head] = r
		l.head = (l.head + 1) % l.max
	}
}

// list is a copy of the requests held, oldest first.
func (l *requestLog) list() []Request {
	return append(slices.Clone(l.reqs[l.head:]), l.reqs[:l.head]...)
}

// bound keeps the last n requests from now on, and of those held; n < 0
// keeps them all.
func (l *requestLog) bound(n int) {
	reqs := l.list()
	if n >= 0 && len(reqs) > n {
		reqs = slices.Clone(reqs[len(reqs)-n:]) // not the array of the ones let go
	}
	l.max, l.reqs, l.head = n, reqs, 0
}
